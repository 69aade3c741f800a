/**
 * The top bar: tools, zoom readout, connection status, presence toggle, upload and help
 * buttons. Viewers only get the navigation tools. It reflects editor state; it never
 * edits the board itself.
 */
import type { Editor, ToolName } from "../editor";
import type { ConnectionStatus } from "../realtime/connection";
import { h } from "./dom";

const TOOLS: [ToolName, string, string, boolean][] = [
  ["select", "V", "Select / move (V)", false],
  ["hand", "H", "Hand: pan (H, or hold Space)", false],
  ["zoom", "Z", "Zoom (Z; Alt-click zooms out)", false],
  ["frame", "F", "Frame (F)", true],
  ["text", "T", "Text note (T)", true],
];

export interface ToolbarHandles {
  element: HTMLElement;
  setStatus(status: ConnectionStatus, detail: string): void;
}

export function buildToolbar(
  editor: Editor,
  actions: { onUpload: () => void; onHelp: () => void; onTogglePresence: (hidden: boolean) => void },
): ToolbarHandles {
  const toolButtons = new Map<ToolName, HTMLButtonElement>();
  const tools = h("div", { class: "ab-tools", role: "toolbar", "aria-label": "Tools" });
  for (const [name, key, title, editOnly] of TOOLS) {
    const b = h("button", { type: "button", class: "ab-tool", title, "data-tool": name, "aria-pressed": "false" }, key);
    b.addEventListener("click", () => editor.setTool(name));
    b.dataset.editOnly = editOnly ? "1" : "";
    toolButtons.set(name, b);
    tools.append(b);
  }
  const zoom = h("button", { type: "button", class: "ab-zoom", title: "Zoom level — click for 100 % (⌘0); Shift+1 fits the board" }, "100%");
  zoom.addEventListener("click", () => editor.zoomTo(1));
  const fit = h("button", { type: "button", class: "ab-btn", title: "Zoom to fit (Shift+1)" }, "Fit");
  fit.addEventListener("click", () => editor.zoomToFit());
  const undo = h("button", { type: "button", class: "ab-btn", title: "Undo (⌘Z)" }, "↶");
  undo.addEventListener("click", () => editor.undo());
  const redo = h("button", { type: "button", class: "ab-btn", title: "Redo (⌘⇧Z)" }, "↷");
  redo.addEventListener("click", () => editor.redo());
  const upload = h("button", { type: "button", class: "ab-btn primary", title: "Add images (or drop / paste them on the canvas)" }, "Add images");
  upload.addEventListener("click", actions.onUpload);
  const presence = h("label", { class: "ab-check", title: "Hide your cursor and selection from others" }, h("input", { type: "checkbox" }), " Hide me");
  const presenceInput = presence.querySelector("input") as HTMLInputElement;
  presenceInput.addEventListener("change", () => actions.onTogglePresence(presenceInput.checked));
  const help = h("button", { type: "button", class: "ab-btn", title: "Keyboard shortcuts (?)" }, "?");
  help.addEventListener("click", actions.onHelp);
  const status = h("span", { class: "ab-status", "data-status": "connecting", role: "status" }, "Connecting…");
  const readOnly = h("span", { class: "ab-readonly", title: "You can look, select and inspect, but not change this board" }, "View only");

  const element = h("div", { class: "ab-toolbar" }, tools, undo, redo, h("span", { class: "ab-spacer" }), readOnly, upload, fit, zoom, presence, status, help);

  const refresh = () => {
    for (const [name, b] of toolButtons) {
      b.setAttribute("aria-pressed", String(editor.tool === name));
      b.hidden = !!b.dataset.editOnly && !editor.canEdit;
    }
    undo.hidden = redo.hidden = upload.hidden = !editor.canEdit;
    readOnly.hidden = editor.canEdit;
    undo.disabled = !editor.history.canUndo;
    redo.disabled = !editor.history.canRedo;
  };
  editor.on("tool", refresh);
  editor.on("editable", refresh);
  editor.on("history", refresh);
  editor.on("camera", () => {
    zoom.textContent = `${Math.round(editor.camera.zoom * 100)}%`;
  });
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
      status.title = detail || (s === "online" ? "Changes are saved and shared live" : "");
    },
  };
}
