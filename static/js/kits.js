// Brand kit editor: the reference upload goes to the API's upload route, which admits large
// files and checks the caller before reading them (docs/api.md "Request body limits"). Without
// JavaScript the form posts to the page, which takes files up to the request limit.
document.addEventListener("submit", async (event) => {
  const form = event.target.closest("[data-kit-upload]");
  if (!form) return;
  event.preventDefault();
  const error = form.querySelector("[data-upload-error]");
  const button = form.querySelector("button[type=submit]");
  const body = new FormData(form);
  body.delete("csrfmiddlewaretoken");
  error.hidden = true;
  button.disabled = true;
  try {
    const response = await fetch(form.dataset.api, {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value },
    });
    if (response.ok) {
      window.location.reload();
      return;
    }
    const reply = await response.json().catch(() => ({}));
    error.textContent = reply.error?.message || `The upload failed (${response.status}).`;
  } catch {
    error.textContent = "The upload could not be sent; check the connection and try again.";
  }
  error.hidden = false;
  button.disabled = false;
});
