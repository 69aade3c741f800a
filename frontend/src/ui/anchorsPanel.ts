/** The anchors panel: the board's anchor images grouped by role; click to select and zoom. */
import type { Editor } from "../editor";
import { ANCHOR_ROLES } from "../protocol";
import { h, rafThrottle } from "./dom";
import { icon } from "./icons";
import { itemLabel } from "./layersPanel";

export function buildAnchorsPanel(editor: Editor): HTMLElement {
  const body = h("div", { class: "ab-anchors" });
  const element = h("section", { class: "ab-panel" }, h("h3", {}, "Anchors"), body);
  const render = () => {
    const anchors = editor.doc.ordered().filter((i) => i.anchor_role);
    if (!anchors.length) {
      body.replaceChildren(h("p", { class: "muted" }, editor.canEdit ? "No anchors yet. Select an image and pick an anchor role in Properties." : "No anchors on this board."));
      return;
    }
    body.replaceChildren(
      ...ANCHOR_ROLES.flatMap((role) => {
        const ofRole = anchors.filter((i) => i.anchor_role === role);
        if (!ofRole.length) return [];
        return [
          h("h4", { class: `ab-anchor-role ${role}` }, icon("anchor", 13), role),
          h("ul", {}, ...ofRole.map((i) => {
            const b = h("button", { type: "button", class: "ab-link", "data-id": i.id }, itemLabel(i));
            b.addEventListener("click", () => {
              editor.select([i.id]);
              editor.zoomToSelection();
            });
            return h("li", {}, b);
          })),
        ];
      }),
    );
  };
  editor.on("document", rafThrottle(render));
  render();
  return element;
}
