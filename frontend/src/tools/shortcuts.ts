/**
 * Keyboard shortcuts: one table mapping keys to named commands (also rendered by the `?`
 * overlay, so the help can never drift from the behaviour) and the function that runs a
 * command against the editor. Figma conventions: ⌘0 → 100 %, Shift+1 fit, Shift+2
 * selection, ] / [ forward / backward, ⌘D duplicate.
 *
 * Pure key resolution lives in `resolveShortcut` so it can be tested without a DOM.
 */
import type { Editor } from "../editor";
import { deleteItems, duplicateItems, moveBy, reorder } from "../model/actions";

export type Command =
  | "tool-select"
  | "tool-hand"
  | "tool-zoom"
  | "tool-frame"
  | "tool-text"
  | "zoom-100"
  | "zoom-fit"
  | "zoom-selection"
  | "zoom-in"
  | "zoom-out"
  | "duplicate"
  | "delete"
  | "nudge-left"
  | "nudge-right"
  | "nudge-up"
  | "nudge-down"
  | "nudge-left-10"
  | "nudge-right-10"
  | "nudge-up-10"
  | "nudge-down-10"
  | "forward"
  | "backward"
  | "undo"
  | "redo"
  | "select-all"
  | "deselect"
  | "export"
  | "help";

export interface KeyLike {
  key: string;
  code?: string;
  metaKey: boolean;
  ctrlKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

/** Commands that change the board; ignored in read-only mode. */
export const EDIT_COMMANDS: ReadonlySet<Command> = new Set<Command>([
  "tool-frame",
  "tool-text",
  "duplicate",
  "delete",
  "nudge-left",
  "nudge-right",
  "nudge-up",
  "nudge-down",
  "nudge-left-10",
  "nudge-right-10",
  "nudge-up-10",
  "nudge-down-10",
  "forward",
  "backward",
  "undo",
  "redo",
]);

/** What the `?` overlay lists, in order. */
export const SHORTCUT_HELP: readonly [string, string][] = [
  ["V", "Select / move"],
  ["H", "Hand (pan)"],
  ["Space + drag", "Pan with any tool"],
  ["Z", "Zoom tool (Alt-click zooms out)"],
  ["F", "Frame tool"],
  ["T", "Text note"],
  ["R", "Region for a job: drag over what to change (Esc cancels)"],
  ["R, then Enter", "Region over the selection (or the middle of the view) without a mouse"],
  ["Arrows · Alt/Ctrl + arrows on a focused region", "Move · resize the region (Shift = ×10)"],
  ["G", "Go to the generation panel's prompt"],
  ["S", "Go to the staged results (Apply)"],
  ["B", "Batch…: the generation panel's settings as a batch (values × seeds × engines × targets)"],
  ["[ / ] while painting a mask", "Smaller / larger brush"],
  ["← / → with staged results", "Previous / next result (when nothing is selected)"],
  ["⌘/Ctrl + wheel, pinch", "Zoom to cursor"],
  ["⌘/Ctrl + 0", "Zoom to 100 %"],
  ["Shift + 1", "Zoom to fit the board"],
  ["Shift + 2", "Zoom to the selection"],
  ["+ / −", "Zoom in / out"],
  ["⌘/Ctrl + D", "Duplicate"],
  ["Delete / Backspace", "Delete"],
  ["Arrows (Shift = 10)", "Nudge by 1 (10)"],
  ["] / [", "Bring forward / send backward"],
  ["⌘/Ctrl + Z", "Undo"],
  ["⌘/Ctrl + Shift + Z", "Redo"],
  ["⌘/Ctrl + A", "Select all"],
  ["⌘/Ctrl + Shift + E", "Export… the selection, a frame or a batch"],
  ["Esc", "Deselect"],
  ["?", "Show this list"],
];

export function resolveShortcut(e: KeyLike): Command | null {
  const mod = e.metaKey || e.ctrlKey;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (mod) {
    if (key === "z") return e.shiftKey ? "redo" : "undo";
    if (key === "y") return "redo";
    if (key === "0") return "zoom-100";
    if (key === "d") return "duplicate";
    if (key === "a") return "select-all";
    if (key === "e" && e.shiftKey) return "export";
    if (key === "=" || key === "+") return "zoom-in";
    if (key === "-") return "zoom-out";
    return null;
  }
  if (e.altKey) return null;
  // Shift+1 / Shift+2 arrive as "!" and "@" on US layouts; the code is layout-free.
  if (e.shiftKey && (e.code === "Digit1" || key === "!")) return "zoom-fit";
  if (e.shiftKey && (e.code === "Digit2" || key === "@")) return "zoom-selection";
  const arrows: Record<string, string> = { ArrowLeft: "left", ArrowRight: "right", ArrowUp: "up", ArrowDown: "down" };
  const dir = arrows[key];
  if (dir) return `nudge-${dir}${e.shiftKey ? "-10" : ""}` as Command;
  switch (key) {
    case "v":
      return "tool-select";
    case "h":
      return "tool-hand";
    case "z":
      return "tool-zoom";
    case "f":
      return "tool-frame";
    case "t":
      return "tool-text";
    case "Delete":
    case "Backspace":
      return "delete";
    case "]":
      return "forward";
    case "[":
      return "backward";
    case "?":
      return "help";
    case "=":
    case "+":
      return "zoom-in";
    case "-":
      return "zoom-out";
    case "Escape":
      return "deselect";
    default:
      return null;
  }
}

/**
 * Run a command; returns false when it does not apply (so the key is not swallowed).
 * `openExport` is the Export dialog (exports/exportDialog.ts); without it (a share link's
 * guests) the shortcut does nothing.
 */
export function runCommand(editor: Editor, command: Command, toggleHelp: () => void, openExport?: () => void): boolean {
  if (EDIT_COMMANDS.has(command) && !editor.canEdit) return false;
  const sel = editor.selection;
  const nudge = (dx: number, dy: number) => editor.run(moveBy(editor.doc, sel, dx, dy, "Nudge"));
  switch (command) {
    case "tool-select":
      editor.setTool("select");
      return true;
    case "tool-hand":
      editor.setTool("hand");
      return true;
    case "tool-zoom":
      editor.setTool("zoom");
      return true;
    case "tool-frame":
      editor.setTool("frame");
      return true;
    case "tool-text":
      editor.setTool("text");
      return true;
    case "zoom-100":
      editor.zoomTo(1);
      return true;
    case "zoom-fit":
      editor.zoomToFit();
      return true;
    case "zoom-selection":
      editor.zoomToSelection();
      return true;
    case "zoom-in":
      editor.zoomTo(editor.camera.zoom * 2);
      return true;
    case "zoom-out":
      editor.zoomTo(editor.camera.zoom / 2);
      return true;
    case "duplicate": {
      if (!sel.size) return false;
      const { action, newIds } = duplicateItems(editor.doc, sel);
      if (editor.run(action)) editor.select(newIds);
      return true;
    }
    case "delete":
      return editor.run(deleteItems(editor.doc, sel)) || sel.size > 0;
    case "nudge-left":
      return nudge(-1, 0);
    case "nudge-right":
      return nudge(1, 0);
    case "nudge-up":
      return nudge(0, -1);
    case "nudge-down":
      return nudge(0, 1);
    case "nudge-left-10":
      return nudge(-10, 0);
    case "nudge-right-10":
      return nudge(10, 0);
    case "nudge-up-10":
      return nudge(0, -10);
    case "nudge-down-10":
      return nudge(0, 10);
    case "forward":
      editor.run(reorder(editor.doc, sel, 1));
      return true;
    case "backward":
      editor.run(reorder(editor.doc, sel, -1));
      return true;
    case "undo":
      editor.undo();
      return true;
    case "redo":
      editor.redo();
      return true;
    case "select-all":
      editor.select(editor.doc.ids());
      return true;
    case "deselect":
      editor.select([]);
      return true;
    case "help":
      toggleHelp();
      return true;
    case "export":
      if (!openExport) return false;
      openExport();
      return true;
  }
}
