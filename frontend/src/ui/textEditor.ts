/**
 * In-place editing of a text note: double-click a note (or create one with T) and a
 * textarea opens over it at the current zoom; blur or ⌘/Ctrl+Enter saves one "Edit text"
 * action, Escape cancels. Viewers never get the editor.
 */
import type { Editor } from "../editor";
import { setProps } from "../model/actions";
import { boardToScreen } from "../model/geometry";
import { h } from "./dom";

export function attachTextEditor(editor: Editor, surface: HTMLElement): void {
  const area = h("textarea", { class: "ab-text-editor", hidden: true, "aria-label": "Note text" });
  surface.append(area);
  let editingId: string | null = null;

  const close = (save: boolean) => {
    const id = editingId;
    editingId = null;
    area.hidden = true;
    if (!save || !id) return;
    const item = editor.doc.get(id);
    if (!item || String(item.props.text ?? "") === area.value) return;
    editor.run(setProps(editor.doc, [id], { props: { ...item.props, text: area.value } }, "Edit text"));
  };

  const place = () => {
    const item = editingId ? editor.doc.get(editingId) : undefined;
    if (!item) return close(false);
    const p = boardToScreen(editor.camera, item);
    const z = editor.camera.zoom;
    Object.assign(area.style, {
      left: `${p.x}px`,
      top: `${p.y}px`,
      width: `${item.width * z}px`,
      height: `${item.height * z}px`,
      fontSize: `${Number(item.props.fontSize ?? 24) * z}px`,
      padding: `${12 * z}px`,
      transform: item.rotation ? `rotate(${item.rotation}deg)` : "",
    });
  };

  document.addEventListener("ab:edit-item", (e) => {
    const id = (e as CustomEvent<{ id: string }>).detail.id;
    const item = editor.doc.get(id);
    if (!editor.canEdit || !item || item.kind !== "text" || item.locked) return;
    editingId = id;
    area.value = String(item.props.text ?? "");
    area.hidden = false;
    place();
    area.focus();
    area.select();
  });
  area.addEventListener("blur", () => close(true));
  area.addEventListener("keydown", (e) => {
    e.stopPropagation(); // typing must not trigger canvas shortcuts
    if (e.key === "Escape") {
      close(false);
      surface.focus();
    } else if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) {
      close(true);
      surface.focus();
    }
  });
  editor.on("camera", () => editingId && place());
  editor.on("document", () => editingId && place());
}
