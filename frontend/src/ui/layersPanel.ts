/**
 * The layers panel: every item top-to-bottom, synced with the canvas selection (click,
 * Shift/⌘-click for multi-select), with hide/lock toggles and drag-to-reorder (a drop
 * becomes fractional z updates, one "Reorder" action) for those who may edit.
 *
 * For the keyboard and screen readers it is a multi-select ARIA tree with a roving
 * tabindex: one Tab stop (the active row), arrows/Home/End/Space/Enter/Delete as in
 * `listKeys.ts`, and Tab from a row reaches that row's own Hide/Lock buttons only (the other
 * rows' buttons are out of the Tab order), so the panel costs three Tab stops, not 2n + 1.
 * A `treeitem` may hold buttons (an ARIA `option` may not), hence a tree, not a listbox.
 */
import type { Editor } from "../editor";
import { deleteItems, reorderTo, setProps } from "../model/actions";
import type { ItemData } from "../protocol";
import { h, rafThrottle } from "./dom";
import { type IconName, icon, iconButton } from "./icons";
import { activeAfterDelete, activeRow, listKey } from "./listKeys";

const KIND_ICON: Record<string, IconName> = { image: "image", frame: "frame", text: "text", mask: "mask" };
const KIND_NAME: Record<string, string> = { image: "Image", frame: "Frame", text: "Text note", mask: "Mask" };

export function itemLabel(item: ItemData): string {
  if (item.name) return item.name;
  if (item.kind === "text") return String(item.props.text ?? "Note").slice(0, 40) || "Note";
  return item.kind === "image" ? "Image" : item.kind[0]?.toUpperCase() + item.kind.slice(1);
}

/** What a screen reader says for a row: name, kind, anchor role, hidden/locked. */
export function rowDescription(item: ItemData): string {
  const parts = [itemLabel(item), (KIND_NAME[item.kind] ?? item.kind).toLowerCase()];
  if (item.anchor_role) parts.push(`${item.anchor_role} anchor`);
  if (item.hidden) parts.push("hidden");
  if (item.locked) parts.push("locked");
  return parts.join(", ");
}

export function buildLayersPanel(editor: Editor): HTMLElement {
  const list = h("ol", {
    class: "ab-layers",
    role: "tree",
    "aria-multiselectable": "true",
    "aria-labelledby": "ab-layers-title",
    "aria-describedby": "ab-layers-keys",
    "data-testid": "layers",
  });
  const element = h(
    "section",
    { class: "ab-panel", id: "ab-layers-panel", tabindex: "-1" },
    h("h2", { class: "ab-panel-title", id: "ab-layers-title" }, "Layers"),
    h("p", { class: "visually-hidden", id: "ab-layers-keys" }, "Arrows move and select, Shift extends, Space adds or removes, Enter zooms to the layer, Delete deletes."),
    list,
  );
  let dragIds: string[] = [];
  // The roving tabindex: the row that is the panel's one Tab stop, and the Shift-range start.
  let active: string | null = null;
  let anchor: string | null = null;

  // Rows by id, so a selection change (every pointer move of a marquee) only flips
  // attributes instead of rebuilding thousands of rows.
  const rows = new Map<string, HTMLElement>();
  let ids: string[] = [];
  const render = () => {
    const items = [...editor.doc.ordered()].reverse();
    const hadFocus = list.contains(document.activeElement);
    rows.clear();
    ids = items.map((i) => i.id);
    list.replaceChildren(
      ...items.map((item, index) => {
        const row = h(
          "li",
          {
            class: "ab-layer",
            role: "treeitem",
            "data-id": item.id,
            "aria-label": rowDescription(item),
            "aria-level": "1",
            "aria-posinset": String(index + 1),
            "aria-setsize": String(items.length),
            "aria-selected": String(editor.selection.has(item.id)),
            tabindex: "-1",
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
    setActive(activeRow(ids, active, editor.selection), hadFocus);
  };

  /** Give `id` the panel's Tab stop (its row and its own buttons); focus it if asked. */
  const setActive = (id: string | null, focus: boolean) => {
    const previous = active !== null ? rows.get(active) : undefined;
    if (previous && active !== id) rovingOff(previous);
    active = id;
    const row = id !== null ? rows.get(id) : undefined;
    if (!row) return;
    row.tabIndex = 0;
    for (const b of row.querySelectorAll<HTMLElement>("button")) b.tabIndex = 0;
    if (focus) row.focus();
  };
  const rovingOff = (row: HTMLElement) => {
    row.tabIndex = -1;
    for (const b of row.querySelectorAll<HTMLElement>("button")) b.tabIndex = -1;
  };

  let shownSelection = new Set<string>();
  const markSelection = () => {
    for (const id of shownSelection) rows.get(id)?.setAttribute("aria-selected", "false");
    for (const id of editor.selection) rows.get(id)?.setAttribute("aria-selected", "true");
    shownSelection = new Set(editor.selection);
    // A selection made on the canvas moves the Tab stop to it (without taking focus).
    if (!list.contains(document.activeElement) && active !== null && !editor.selection.has(active)) {
      setActive(activeRow(ids, null, editor.selection), false);
    }
    const first = editor.selection.size === 1 ? rows.get([...editor.selection][0] as string) : undefined;
    first?.scrollIntoView({ block: "nearest" });
  };

  list.addEventListener("keydown", (e) => {
    // Keys typed on a row's own buttons (Enter/Space press them) stay theirs.
    if ((e.target as HTMLElement).closest("button") || e.altKey) return;
    const command = listKey(
      { ids, active, selected: editor.selection, anchor },
      { key: e.key, shift: e.shiftKey, mod: e.metaKey || e.ctrlKey },
    );
    switch (command.kind) {
      case "none":
        return; // not ours: ⌘Z, ⌘D, [ ] … reach the board shortcuts
      case "move":
        anchor = command.anchor;
        if (command.select) editor.select(command.select);
        setActive(command.active, true);
        break;
      case "toggle":
        anchor = command.id;
        editor.toggleSelected(command.id);
        break;
      case "open":
        anchor = command.id;
        editor.select([command.id]);
        editor.zoomToSelection();
        break;
      case "delete": {
        if (!editor.canEdit) return;
        const next = activeAfterDelete(ids, command.ids);
        if (editor.run(deleteItems(editor.doc, command.ids))) {
          active = next;
          editor.select(next ? [next] : []);
          // The rows are rebuilt on the next frame; keep focus in the tree meanwhile.
          requestAnimationFrame(() => setActive(activeRow(ids, next, editor.selection), true));
        }
        break;
      }
    }
    e.preventDefault();
    e.stopPropagation();
  });
  list.addEventListener("focusin", (e) => {
    const id = (e.target as HTMLElement).closest<HTMLElement>(".ab-layer")?.dataset.id;
    if (id && id !== active) setActive(id, false);
  });

  const toggle = (item: ItemData, prop: "hidden" | "locked", glyph: IconName, label: string, name: string) => {
    const b = iconButton({ icon: glyph, label });
    b.classList.add("small", "ab-row-action");
    // The name says the action ("Show …" once hidden), so no aria-pressed on top of it.
    b.classList.toggle("is-on", Boolean(item[prop]));
    b.tabIndex = -1; // only the active row's buttons are in the Tab order (setActive)
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
    anchor = id;
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
