/**
 * The layers panel: every item top-to-bottom, synced with the canvas selection (click,
 * Shift/⌘-click for multi-select), with hide/lock toggles and drag-to-reorder (a drop
 * becomes fractional z updates, one "Reorder" action) for those who may edit.
 */
import type { Editor } from "../editor";
import { reorderTo, setProps } from "../model/actions";
import type { ItemData } from "../protocol";
import { h, rafThrottle } from "./dom";
import { type IconName, icon, iconButton } from "./icons";

const KIND_ICON: Record<string, IconName> = { image: "image", frame: "frame", text: "text", mask: "mask" };
const KIND_NAME: Record<string, string> = { image: "Image", frame: "Frame", text: "Text note", mask: "Mask" };

export function itemLabel(item: ItemData): string {
  if (item.name) return item.name;
  if (item.kind === "text") return String(item.props.text ?? "Note").slice(0, 40) || "Note";
  return item.kind === "image" ? "Image" : item.kind[0]?.toUpperCase() + item.kind.slice(1);
}

export function buildLayersPanel(editor: Editor): HTMLElement {
  const list = h("ol", { class: "ab-layers", "aria-label": "Layers" });
  const element = h("section", { class: "ab-panel" }, h("h3", {}, "Layers"), list);
  let dragIds: string[] = [];

  // Rows by id, so a selection change (every pointer move of a marquee) only flips
  // attributes instead of rebuilding thousands of rows.
  const rows = new Map<string, HTMLElement>();
  const render = () => {
    const items = [...editor.doc.ordered()].reverse();
    rows.clear();
    list.replaceChildren(
      ...items.map((item) => {
        const row = h(
          "li",
          {
            class: "ab-layer",
            "data-id": item.id,
            "aria-selected": String(editor.selection.has(item.id)),
            draggable: editor.canEdit ? "true" : undefined,
          },
          h("span", { class: "ab-kind", "data-tip": KIND_NAME[item.kind] ?? item.kind }, icon(KIND_ICON[item.kind] ?? "square", 14)),
          // The full name on hover: long names are cut with an ellipsis in the row.
          h("span", { class: "ab-name" + (item.hidden ? " muted" : ""), title: itemLabel(item) }, itemLabel(item)),
          item.anchor_role
            ? h("span", { class: `ab-anchor-dot ${item.anchor_role}`, role: "img", "aria-label": `Anchor: ${item.anchor_role}`, "data-tip": `Anchor: ${item.anchor_role}` }, icon("anchor", 14))
            : null,
          // Viewers cannot change anything: no hide/lock controls at all.
          editor.canEdit
            ? h(
                "span",
                { class: `ab-row-actions${item.hidden || item.locked ? " on" : ""}` },
                toggle(item, "hidden", item.hidden ? "eye-off" : "eye", `${item.hidden ? "Show" : "Hide"} ${itemLabel(item)}`, item.hidden ? "Show" : "Hide"),
                toggle(item, "locked", item.locked ? "lock" : "unlock", `${item.locked ? "Unlock" : "Lock"} ${itemLabel(item)}`, item.locked ? "Unlock" : "Lock"),
              )
            : null,
        );
        rows.set(item.id, row);
        return row;
      }),
    );
  };
  let shownSelection = new Set<string>();
  const markSelection = () => {
    for (const id of shownSelection) rows.get(id)?.setAttribute("aria-selected", "false");
    for (const id of editor.selection) rows.get(id)?.setAttribute("aria-selected", "true");
    shownSelection = new Set(editor.selection);
    const first = editor.selection.size === 1 ? rows.get([...editor.selection][0] as string) : undefined;
    first?.scrollIntoView({ block: "nearest" });
  };

  const toggle = (item: ItemData, prop: "hidden" | "locked", glyph: IconName, label: string, name: string) => {
    const b = iconButton({ icon: glyph, label });
    b.classList.add("small", "ab-row-action");
    b.setAttribute("aria-pressed", String(item[prop]));
    b.addEventListener("click", (e) => {
      e.stopPropagation();
      editor.run(setProps(editor.doc, [item.id], { [prop]: !item[prop] }, name));
    });
    return b;
  };

  list.addEventListener("click", (e) => {
    const row = (e.target as HTMLElement).closest<HTMLElement>(".ab-layer");
    const id = row?.dataset.id;
    if (!id) return;
    if (e.shiftKey || e.metaKey || e.ctrlKey) editor.toggleSelected(id);
    else editor.select([id]);
  });
  list.addEventListener("dblclick", (e) => {
    const id = (e.target as HTMLElement).closest<HTMLElement>(".ab-layer")?.dataset.id;
    if (id) editor.zoomToSelection();
  });
  list.addEventListener("dragstart", (e) => {
    const id = (e.target as HTMLElement).closest<HTMLElement>(".ab-layer")?.dataset.id;
    if (!id) return;
    if (!editor.selection.has(id)) editor.select([id]);
    dragIds = [...editor.selection];
    e.dataTransfer?.setData("text/plain", dragIds.join(","));
  });
  list.addEventListener("dragover", (e) => {
    if (dragIds.length) e.preventDefault();
  });
  list.addEventListener("drop", (e) => {
    e.preventDefault();
    const row = (e.target as HTMLElement).closest<HTMLElement>(".ab-layer");
    const targetId = row?.dataset.id;
    if (!row || !targetId || dragIds.includes(targetId)) return;
    const rect = row.getBoundingClientRect();
    const upperHalf = e.clientY < rect.top + rect.height / 2;
    // Bottom-to-top order without the dragged items; find the neighbours of the gap.
    const order = editor.doc.ordered().filter((i) => !dragIds.includes(i.id));
    const t = order.findIndex((i) => i.id === targetId);
    const [below, above] = upperHalf ? [order[t], order[t + 1]] : [order[t - 1], order[t]];
    editor.run(reorderTo(editor.doc, dragIds, above?.id ?? null, below?.id ?? null));
    dragIds = [];
  });

  const throttled = rafThrottle(() => {
    render();
    shownSelection = new Set(editor.selection);
  });
  editor.on("document", throttled);
  editor.on("selection", rafThrottle(markSelection));
  editor.on("editable", throttled);
  render();
  return element;
}
