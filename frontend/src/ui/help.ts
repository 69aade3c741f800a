/** The `?` overlay listing every shortcut, rendered from the shortcut table itself. */
import { SHORTCUT_HELP } from "../tools/shortcuts";
import { h } from "./dom";

export function buildHelp(): { element: HTMLElement; toggle: () => void } {
  const list = h("dl", { class: "ab-help-list" });
  for (const [keys, what] of SHORTCUT_HELP) list.append(h("dt", {}, keys), h("dd", {}, what));
  const close = h("button", { type: "button", class: "ab-btn", title: "Close (Esc)" }, "Close");
  const element = h("div", { class: "ab-help", role: "dialog", "aria-label": "Keyboard shortcuts", hidden: true }, h("div", { class: "ab-help-card" }, h("h2", {}, "Keyboard shortcuts"), list, close));
  const toggle = () => {
    element.hidden = !element.hidden;
  };
  close.addEventListener("click", toggle);
  element.addEventListener("click", (e) => {
    if (e.target === element) toggle();
  });
  return { element, toggle };
}
