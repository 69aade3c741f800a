// Menus on the server-rendered pages (<details class="menu">, static/css/app.css): only one
// open at a time, closed by a click outside or Escape (focus goes back to its button).
document.addEventListener("click", (e) => {
  for (const menu of document.querySelectorAll("details.menu[open]")) {
    if (!menu.contains(e.target)) menu.removeAttribute("open");
  }
});
document.addEventListener("keydown", (e) => {
  if (e.key !== "Escape") return;
  for (const menu of document.querySelectorAll("details.menu[open]")) {
    menu.removeAttribute("open");
    menu.querySelector("summary")?.focus();
  }
});
