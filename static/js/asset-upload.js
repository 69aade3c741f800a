// Uploads images to a board's library through the JSON API, one request per file, with
// progress and the server's error message for each. It only talks to the API: the page
// reloads to show the new files, so this script never builds tiles itself.
(function () {
  "use strict";
  const form = document.getElementById("asset-upload");
  const input = document.getElementById("asset-files");
  const list = document.getElementById("upload-status");
  if (!form || !input || !list) return;

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function errorMessage(xhr) {
    try {
      const body = JSON.parse(xhr.responseText);
      if (body && body.error && body.error.message) return body.error.message;
      if (body && body.detail) return typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
    } catch (_) { /* not JSON: fall through */ }
    if (xhr.status === 0) return "The server could not be reached. Check your connection and try again.";
    if (xhr.status === 413) return "This file is too large to upload.";
    return "Upload failed (HTTP " + xhr.status + "). Try again.";
  }

  function uploadOne(file) {
    const row = document.createElement("li");
    const label = document.createElement("span");
    label.textContent = file.name + " ";
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    row.append(label, bar);
    list.append(row);
    return new Promise(function (resolve) {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", form.dataset.uploadUrl);
      xhr.setRequestHeader("X-CSRFToken", csrfToken());
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = function (event) {
        if (event.lengthComputable) bar.value = Math.round((event.loaded / event.total) * 100);
      };
      xhr.onload = function () {
        bar.remove();
        if (xhr.status >= 200 && xhr.status < 300) {
          row.className = "done";
          label.textContent = file.name + " — uploaded";
          resolve(true);
        } else {
          row.className = "error";
          label.textContent = file.name + " — " + errorMessage(xhr);
          resolve(false);
        }
      };
      xhr.onerror = function () {
        bar.remove();
        row.className = "error";
        label.textContent = file.name + " — " + errorMessage(xhr);
        resolve(false);
      };
      const body = new FormData();
      body.append("file", file, file.name);
      xhr.send(body);
    });
  }

  input.addEventListener("change", async function () {
    const files = Array.from(input.files || []);
    input.value = "";
    let uploaded = 0;
    for (const file of files) {
      if (await uploadOne(file)) uploaded += 1;
    }
    // Reload only when everything went through, so error messages stay readable.
    if (uploaded > 0 && uploaded === files.length) window.location.reload();
  });
})();
