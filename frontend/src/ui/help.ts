/** The `?` overlay listing every shortcut, rendered from the shortcut table itself. */
import { SHORTCUT_HELP } from "../tools/shortcuts";
import { h } from "./dom";
import { iconButton } from "./icons";
import { Dialog } from "./overlay";

export function buildHelp(): { element: HTMLElement; toggle: () => void } {
  const list = h("dl", { class: "ab-help-list" });
  for (const [keys, what] of SHORTCUT_HELP) list.append(h("dt", {}, keys), h("dd", {}, what));
  const dialog = new Dialog({ label: "Keyboard shortcuts", className: "ab-help-card" });
  const close = iconButton({ icon: "close", label: "Close", keys: "Esc", onClick: () => dialog.close() });
  dialog.box.append(h("div", { class: "ab-dialog-head" }, h("h2", {}, "Keyboard shortcuts"), close), list);
  dialog.element.classList.add("ab-help");
  const toggle = () => (dialog.isOpen ? dialog.close() : dialog.open(close));
  return { element: dialog.element, toggle };
}
