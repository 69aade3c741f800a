// Members pages: the "Copy link" button of a new invitation link. Without JavaScript the link
// is still there to select and copy by hand.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const input = document.getElementById(button.dataset.copy);
  const status = document.querySelector("[data-copy-status]");
  input.focus();
  input.select();
  let copied = false;
  try {
    await navigator.clipboard.writeText(input.value);
    copied = true;
  } catch {
    copied = document.execCommand && document.execCommand("copy");
  }
  if (status) {
    status.textContent = copied
      ? "Copied. Paste it into a message to the person you invite."
      : "Could not copy automatically: the link is selected, press Ctrl+C (⌘C on a Mac).";
  }
});
