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
import { revealDelta, rowWindow, rowsToRender } from "./virtualRows";

/** Rows kept in the DOM beyond each edge of the panel's view. */
const OVERSCAN_ROWS = 8;

/** The nearest ancestor that scrolls vertically (the side panel), or null. */
function scrollingAncestor(el: HTMLElement): HTMLElement | null {
  for (let p = el.parentElement; p; p = p.parentElement) {
    const overflow = getComputedStyle(p).overflowY;
    if (overflow === "auto" || overflow === "scroll") return p;
  }
  return null;
}

const KIND_ICON: Record<string, IconName> = { image: "image", video: "image", frame: "frame", text: "text", mask: "mask" };
const KIND_NAME: Record<string, string> = { image: "Image", video: "Video clip", frame: "Frame", text: "Text note", mask: "Mask" };

export function itemLabel(item: ItemData): string {
  if (item.name) return item.name;
  if (item.kind === "text") return String(item.props.text ?? "Note").slice(0, 40) || "Note";
  return KIND_NAME[item.kind] ?? item.kind[0]?.toUpperCase() + item.kind.slice(1);
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

  // Only a window of rows lives in the DOM (ui/virtualRows.ts): the rows on show, a few either
  // side, and the active row wherever it is, so the Tab stop and the focus always have a row.
  // Rows are absolutely placed at index × row height in a list as tall as every row, so the
  // scrollbar and aria-posinset/aria-setsize still describe the whole list.
  // `rows` holds the rows in the DOM by id: a selection change (every pointer move of a
  // marquee) only flips their attributes.
  const rows = new Map<string, HTMLElement>();
  let items: ItemData[] = [];
  let ids: string[] = [];
  let indexOf = new Map<string, number>();
  let scroller: HTMLElement | null = null;

  const buildRow = (item: ItemData, index: number) => {
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
        style: `--i: ${index}`,
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
    if (item.id === active) rovingOn(row);
    return row;
  };

  /** The row height the stylesheet gives rows (--row-h: larger for fingers). */
  const rowHeight = () => parseFloat(getComputedStyle(list).getPropertyValue("--row-h")) || 28;

  /** Where the visible part of the list's scroller falls on the list, in list px. */
  const view = () => {
    scroller ??= scrollingAncestor(list);
    if (!scroller || !list.isConnected) return { viewTop: 0, viewHeight: 0 };
    const lr = list.getBoundingClientRect();
    const sr = scroller.getBoundingClientRect();
    const top = Math.max(sr.top, 0);
    const bottom = Math.min(sr.bottom, window.innerHeight);
    return { viewTop: top - lr.top, viewHeight: Math.max(0, bottom - top) };
  };

  /** Put the window's rows (and the active row) in the DOM, in index order; drop the rest. */
  const drawRows = () => {
    const range = rowWindow({ count: ids.length, rowHeight: rowHeight(), overscan: OVERSCAN_ROWS, ...view() });
    const wanted = rowsToRender(range, active !== null && indexOf.has(active) ? [indexOf.get(active) as number] : [], ids.length);
    const keep = new Set(wanted.map((i) => ids[i] as string));
    for (const [id, row] of rows) {
      if (keep.has(id)) continue;
      row.remove();
      rows.delete(id);
    }
    // The rows in the DOM are in index order; walk both lists once.
    let cursor: ChildNode | null = list.firstChild;
    for (const i of wanted) {
      const item = items[i] as ItemData;
      const existing = rows.get(item.id);
      if (existing) {
        cursor = existing.nextSibling;
        continue;
      }
      const row = buildRow(item, i);
      rows.set(item.id, row);
      list.insertBefore(row, cursor);
    }
  };
  const drawRowsSoon = rafThrottle(drawRows);

  const render = () => {
    items = [...editor.doc.ordered()].reverse();
    const hadFocus = list.contains(document.activeElement);
    ids = items.map((i) => i.id);
    indexOf = new Map(ids.map((id, i) => [id, i]));
    rows.clear();
    list.replaceChildren();
    list.style.setProperty("--n", String(items.length));
    active = activeRow(ids, active, editor.selection);
    drawRows();
    setActive(active, hadFocus);
  };

  /** Scroll the list's scroller so row `index` is on show (nearest edge), then draw the window. */
  const reveal = (index: number) => {
    const v = view();
    const delta = revealDelta(index, rowHeight(), v.viewTop, v.viewHeight);
    if (delta && scroller && v.viewHeight > 0) scroller.scrollTop += delta;
    drawRows();
  };

  /** Give `id` the panel's Tab stop (its row and its own buttons); focus it if asked. */
  const setActive = (id: string | null, focus: boolean) => {
    const previous = active !== null ? rows.get(active) : undefined;
    if (previous && active !== id) rovingOff(previous);
    active = id;
    if (id === null || !indexOf.has(id)) return;
    if (!rows.has(id)) drawRows();
    if (focus) reveal(indexOf.get(id) as number);
    const row = rows.get(id);
    if (!row) return;
    rovingOn(row);
    if (focus) row.focus({ preventScroll: true });
  };
  const rovingOn = (row: HTMLElement) => {
    row.tabIndex = 0;
    for (const b of row.querySelectorAll<HTMLElement>("button")) b.tabIndex = 0;
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
    const only = editor.selection.size === 1 ? indexOf.get([...editor.selection][0] as string) : undefined;
    if (only !== undefined) reveal(only);
  };

  // Scrolling the panel (or the page) moves the window; so does a resize (a drawer opening).
  document.addEventListener(
    "scroll",
    (e) => {
      if (e.target instanceof Node && e.target.contains(list)) drawRowsSoon();
    },
    { capture: true, passive: true },
  );
  new ResizeObserver(drawRowsSoon).observe(list);
  window.addEventListener("resize", drawRowsSoon);

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
  // The list's size depends on the panel being laid out: draw the window once it is.
  requestAnimationFrame(drawRows);
  editor.on("document", throttled);
  editor.on("selection", rafThrottle(markSelection));
  editor.on("editable", throttled);
  render();
  return element;
}
