/**
 * Minimap: a small overview of every item's bounds with the current viewport drawn on
 * top; click or drag on it to move the camera there. Drawn with plain canvas 2D from the
 * spatial index, at most once per frame; the items are redrawn only when the document or
 * the overview's scale changes, so a pan costs one bitmap copy and a rectangle.
 */
import type { Editor } from "../editor";
import { type Rect, unionRects, visibleBoardRect } from "../model/geometry";
import { h, rafThrottle } from "./dom";

const W = 180;
const H = 120;

export function buildMinimap(editor: Editor): HTMLElement {
  const canvas = h("canvas", { class: "ab-minimap", width: W, height: H, title: "Overview — click to jump" });
  const ctx = canvas.getContext("2d");
  let transform = { scale: 1, ox: 0, oy: 0 };

  // The items layer is drawn once per document change or change of scale, into a canvas of
  // its own; a pan inside the board's bounds only redraws the viewport frame over it.
  const items = h("canvas", { width: W, height: H });
  const itemsCtx = items.getContext("2d");
  let itemsKey = "";
  let docVersion = 0;

  const draw = () => {
    if (!ctx || !itemsCtx) return;
    const view = visibleBoardRect(editor.camera, editor.viewport);
    const content = editor.scene.contentBounds();
    const world = unionRects(content ? [content, view] : [view]) as Rect;
    const scale = Math.min(W / world.width, H / world.height) * 0.9;
    transform = {
      scale,
      ox: (W - world.width * scale) / 2 - world.x * scale,
      oy: (H - world.height * scale) / 2 - world.y * scale,
    };
    const key = `${docVersion} ${scale} ${transform.ox} ${transform.oy}`;
    if (key !== itemsKey) {
      itemsKey = key;
      itemsCtx.clearRect(0, 0, W, H);
      itemsCtx.fillStyle = "#9aa3b5";
      for (const id of editor.doc.ids()) {
        const b = editor.scene.index.boundsOf(id);
        if (!b) continue;
        itemsCtx.fillRect(b.x * scale + transform.ox, b.y * scale + transform.oy, Math.max(1, b.width * scale), Math.max(1, b.height * scale));
      }
    }
    ctx.clearRect(0, 0, W, H);
    ctx.drawImage(items, 0, 0);
    ctx.strokeStyle = "#4f6bff";
    ctx.lineWidth = 1.5;
    ctx.strokeRect(view.x * scale + transform.ox, view.y * scale + transform.oy, view.width * scale, view.height * scale);
  };

  const jump = (e: PointerEvent) => {
    const r = canvas.getBoundingClientRect();
    const bx = (e.clientX - r.left - transform.ox) / transform.scale;
    const by = (e.clientY - r.top - transform.oy) / transform.scale;
    const z = editor.camera.zoom;
    editor.setCamera({ zoom: z, panX: editor.viewport.width / 2 - bx * z, panY: editor.viewport.height / 2 - by * z });
  };
  canvas.addEventListener("pointerdown", (e) => {
    canvas.setPointerCapture(e.pointerId);
    jump(e);
  });
  canvas.addEventListener("pointermove", (e) => {
    if (canvas.hasPointerCapture(e.pointerId)) jump(e);
  });
  const throttled = rafThrottle(draw);
  editor.on("camera", throttled);
  editor.on("document", () => {
    docVersion += 1;
    throttled();
  });
  return canvas;
}
