/**
 * The top bar: tools (icons with their names and keys), undo/redo, zoom, connection status,
 * cursor sharing, upload and help. Viewers only get the navigation tools. It reflects editor
 * state; it never edits the board itself. Other parts of the page add their own tool
 * buttons with `addTool` (the Region tool of the jobs UI, the Comment tool of review).
 */
import type { Editor, ToolName } from "../editor";
import type { ConnectionStatus } from "../realtime/connection";
import { h, setText } from "./dom";
import { type IconName, iconButton, setIconButton } from "./icons";

const TOOLS: { tool: ToolName; icon: IconName; label: string; key: string; editOnly: boolean }[] = [
  { tool: "select", icon: "select", label: "Select and move", key: "V", editOnly: false },
  { tool: "hand", icon: "hand", label: "Hand: pan the board (or hold Space)", key: "H", editOnly: false },
  { tool: "zoom", icon: "zoom", label: "Zoom: click to zoom in, Alt-click to zoom out", key: "Z", editOnly: false },
  { tool: "frame", icon: "frame", label: "Frame: drag to group a part of the board", key: "F", editOnly: true },
  { tool: "text", icon: "text", label: "Text note", key: "T", editOnly: true },
];

export interface ToolbarHandles {
  element: HTMLElement;
  setStatus(status: ConnectionStatus, detail: string): void;
  /** Add a tool button after the built-in tools (e.g. Region (R), Comment (C)). */
  addTool(button: HTMLButtonElement): void;
  /** Add a group of page actions (review, share) before "Add images". */
  addActions(group: HTMLElement): void;
  /** Put the panel toggles (ui/layout.ts) at the two ends of the bar, by their panels. */
  addPanelToggles(left: HTMLElement, right: HTMLElement): void;
}

export function buildToolbar(
  editor: Editor,
  /** No `onTogglePresence` (share-link guests, who send no presence): no "Hide me". */
  actions: { onUpload: () => void; onHelp: () => void; onTogglePresence?: (hidden: boolean) => void },
): ToolbarHandles {
  const toolButtons = new Map<ToolName, HTMLButtonElement>();
  const tools = h("div", { class: "ab-tools", role: "toolbar", "aria-label": "Tools" });
  for (const t of TOOLS) {
    const b = iconButton({ icon: t.icon, label: t.label.split(":")[0] ?? t.label, keys: t.key, variant: "tool", onClick: () => editor.setTool(t.tool) });
    b.dataset.tip = `${t.label} (${t.key})`;
    b.dataset.tool = t.tool;
    b.dataset.editOnly = t.editOnly ? "1" : "";
    b.setAttribute("aria-pressed", "false");
    toolButtons.set(t.tool, b);
    tools.append(b);
  }
  const undo = iconButton({ icon: "undo", label: "Undo", keys: "Ctrl+Z", testid: "undo", onClick: () => editor.undo() });
  const redo = iconButton({ icon: "redo", label: "Redo", keys: "Ctrl+Shift+Z", testid: "redo", onClick: () => editor.redo() });
  const history = h("div", { class: "ab-tool-group", role: "group", "aria-label": "History" }, undo, redo);

  const zoom = h("button", { type: "button", class: "ab-zoom", "data-tip": "Zoom level: click for 100 % (Ctrl+0)", "data-testid": "zoom-readout" }, "100%");
  zoom.addEventListener("click", () => editor.zoomTo(1));
  const fit = iconButton({ icon: "fit", label: "Zoom to fit the board", keys: "Shift+1", onClick: () => editor.zoomToFit() });
  const upload = iconButton({ icon: "image-plus", label: "Add images (or drop or paste them on the canvas)", text: "Add images", variant: "primary", testid: "add-images", onClick: actions.onUpload });
  let presenceHidden = false;
  const presence = iconButton({ icon: "eye", label: "Hide my cursor from others", testid: "presence-toggle" });
  presence.setAttribute("aria-pressed", "false");
  presence.addEventListener("click", () => {
    presenceHidden = !presenceHidden;
    presence.setAttribute("aria-pressed", String(presenceHidden));
    setIconButton(presence, presenceHidden ? "eye-off" : "eye", presenceHidden ? "Show my cursor to others" : "Hide my cursor from others");
    actions.onTogglePresence?.(presenceHidden);
  });
  const help = iconButton({ icon: "help", label: "Keyboard shortcuts", keys: "?", onClick: actions.onHelp });
  const status = h("span", { class: "ab-status", "data-status": "connecting", role: "status" }, "Connecting…");
  const readOnly = h("span", { class: "ab-readonly", "data-tip": "You can look, select and inspect, but not change this board" }, "View only");
  const extra = h("div", { class: "ab-tools ab-tools-extra", role: "toolbar", "aria-label": "More tools" });
  const actionsSlot = h("div", { class: "ab-toolbar-actions" });

  const element = h(
    "div",
    { class: "ab-toolbar" },
    tools,
    extra,
    h("span", { class: "ab-sep", "aria-hidden": "true" }),
    history,
    h("span", { class: "ab-spacer" }),
    actionsSlot,
    readOnly,
    upload,
    h("span", { class: "ab-sep", "aria-hidden": "true" }),
    fit,
    zoom,
    h("span", { class: "ab-sep", "aria-hidden": "true" }),
    status,
    actions.onTogglePresence ? presence : null,
    help,
  );

  const refresh = () => {
    for (const [name, b] of toolButtons) {
      b.setAttribute("aria-pressed", String(editor.tool === name));
      b.hidden = !!b.dataset.editOnly && !editor.canEdit;
    }
    history.hidden = upload.hidden = !editor.canEdit;
    readOnly.hidden = editor.canEdit;
    undo.disabled = !editor.history.canUndo;
    redo.disabled = !editor.history.canRedo;
    const next = editor.history.undoNames.at(-1);
    undo.dataset.tip = next ? `Undo ${next} (Ctrl+Z)` : "Nothing to undo (Ctrl+Z)";
  };
  editor.on("tool", refresh);
  editor.on("editable", refresh);
  editor.on("history", refresh);
  // Every pan frame emits "camera": write the readout only when the zoom it shows changes.
  editor.on("camera", () => setText(zoom, `${Math.round(editor.camera.zoom * 100)}%`));
  refresh();

  const LABELS: Record<ConnectionStatus, string> = {
    connecting: "Connecting…",
    syncing: "Syncing…",
    online: "Live",
    offline: "Offline",
    denied: "No access",
  };
  return {
    element,
    setStatus(s, detail) {
      status.dataset.status = s;
      status.textContent = LABELS[s];
      status.dataset.tip = detail || (s === "online" ? "Changes are saved and shared live" : LABELS[s]);
    },
    addTool(button) {
      extra.append(button);
    },
    addActions(group) {
      actionsSlot.append(group);
    },
    addPanelToggles(left, right) {
      element.prepend(left);
      element.append(right);
    },
  };
}
