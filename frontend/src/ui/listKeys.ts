/**
 * What a key does in a multi-select list with a roving tabindex (the layers tree): which row
 * becomes the active one (the only row with tabindex 0, the one that has focus) and what
 * happens to the selection. Pure: the panel feeds it the rows in display order, the active
 * row, the selection and the range anchor, and carries out the command it returns.
 *
 * Model (WAI-ARIA APG, multi-select tree, "selection follows focus"):
 * ↑/↓ Home/End move and select that row alone; Shift extends the range from the anchor;
 * ⌘/Ctrl moves without touching the selection; Space toggles the active row; Enter selects
 * it alone and opens it (zoom to it); Delete/Backspace deletes the selection.
 *
 * It must not touch the DOM or the editor.
 */

export interface ListState {
  /** Row ids in display order (top of the list first). */
  readonly ids: readonly string[];
  /** The row that holds tabindex 0 (null for an empty list). */
  readonly active: string | null;
  readonly selected: ReadonlySet<string>;
  /** Where a Shift range starts: the last row selected without Shift. */
  readonly anchor: string | null;
}

export interface ListKey {
  key: string;
  shift?: boolean;
  /** ⌘ on a Mac, Ctrl elsewhere: move without selecting. */
  mod?: boolean;
}

export type ListCommand =
  /** Move focus to `active`; replace the selection with `select` unless it is null. */
  | { kind: "move"; active: string; select: string[] | null; anchor: string | null }
  | { kind: "toggle"; id: string }
  | { kind: "open"; id: string }
  | { kind: "delete"; ids: string[] }
  | { kind: "none" };

const NONE: ListCommand = { kind: "none" };

/** The row that should hold tabindex 0: the remembered one if still listed, else the first selected, else the first. */
export function activeRow(ids: readonly string[], remembered: string | null, selected: ReadonlySet<string>): string | null {
  if (remembered !== null && ids.includes(remembered)) return remembered;
  return ids.find((id) => selected.has(id)) ?? ids[0] ?? null;
}

/** Rows from `a` to `b` inclusive, in display order (either may come first). */
export function rangeBetween(ids: readonly string[], a: string, b: string): string[] {
  const i = ids.indexOf(a);
  const j = ids.indexOf(b);
  if (i < 0 || j < 0) return j >= 0 ? [b] : [];
  return ids.slice(Math.min(i, j), Math.max(i, j) + 1);
}

export function listKey(state: ListState, k: ListKey): ListCommand {
  const { ids, selected } = state;
  if (!ids.length) return NONE;
  const active = activeRow(ids, state.active, selected) as string;
  const at = ids.indexOf(active);
  let target: number | null = null;
  switch (k.key) {
    case "ArrowDown":
      target = Math.min(ids.length - 1, at + 1);
      break;
    case "ArrowUp":
      target = Math.max(0, at - 1);
      break;
    case "Home":
      target = 0;
      break;
    case "End":
      target = ids.length - 1;
      break;
    case " ":
    case "Spacebar":
      return { kind: "toggle", id: active };
    case "Enter":
      return { kind: "open", id: active };
    case "Delete":
    case "Backspace": {
      const doomed = ids.filter((id) => selected.has(id));
      return { kind: "delete", ids: doomed.length ? doomed : [active] };
    }
    default:
      return NONE;
  }
  const id = ids[target] as string;
  if (k.mod && !k.shift) return { kind: "move", active: id, select: null, anchor: state.anchor };
  if (k.shift) {
    const anchor = state.anchor !== null && ids.includes(state.anchor) ? state.anchor : active;
    return { kind: "move", active: id, select: rangeBetween(ids, anchor, id), anchor };
  }
  return { kind: "move", active: id, select: [id], anchor: id };
}

/** After deleting `doomed`, the row to focus: the first survivor below the first deleted row, else above. */
export function activeAfterDelete(ids: readonly string[], doomed: readonly string[]): string | null {
  const gone = new Set(doomed);
  const first = ids.findIndex((id) => gone.has(id));
  if (first < 0) return null;
  return ids.slice(first).find((id) => !gone.has(id)) ?? [...ids.slice(0, first)].reverse().find((id) => !gone.has(id)) ?? null;
}
