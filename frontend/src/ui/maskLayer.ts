/**
 * The inpaint mask layer: a drawing surface laid exactly over the job's region, on top of
 * the canvas, where the brush paints "change this" and the eraser takes it back. It keeps
 * the strokes (jobs/mask.ts rasterises them for upload) and draws a tinted preview; it
 * follows the camera, so panning and zooming while masking keep it in place.
 *
 * It must not send anything or change board items: the mask reaches the server as an
 * uploaded PNG when the job is submitted (ui/generationPanel.ts).
 */
import type { Editor } from "../editor";
import { type Point, type Rect, boardToScreen } from "../model/geometry";
import { type MaskShape, clampBrush, endStroke, rectFill, stepBrush } from "../jobs/mask";
import { isTyping } from "../tools/pointer";
import { h, setHidden, setStyles } from "./dom";

export class MaskLayer {
  readonly element: HTMLCanvasElement;
  region: Rect | null = null;
  shapes: MaskShape[] = [];
  brush = 40;
  erase = false;
  private painting = false;
  private active: MaskShape | null = null;
  private listeners = new Set<() => void>();

  constructor(
    private readonly editor: Editor,
    private readonly surface: HTMLElement,
  ) {
    this.element = h("canvas", { class: "ab-mask-layer", hidden: true, "data-testid": "mask-layer" });
    this.element.addEventListener("pointerdown", (e) => this.down(e));
    this.element.addEventListener("pointermove", (e) => this.move(e));
    this.element.addEventListener("pointerup", () => this.up(false));
    // A cancelled stroke (a second finger pinches instead, tools/touch.ts) is discarded.
    this.element.addEventListener("pointercancel", () => this.up(true));
    editor.on("camera", () => this.draw());
    // [ and ] resize the brush while painting; they reorder layers otherwise (capture phase
    // so the board's shortcut never sees them).
    window.addEventListener(
      "keydown",
      (e) => {
        if (!this.painting || isTyping(e) || e.metaKey || e.ctrlKey) return;
        if (e.key === "[" || e.key === "]") {
          this.setBrush(stepBrush(this.brush, e.key === "]"));
          e.preventDefault();
          e.stopImmediatePropagation();
        }
      },
      true,
    );
  }

  onChange(fn: () => void): void {
    this.listeners.add(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  get isPainting(): boolean {
    return this.painting;
  }

  get hasMask(): boolean {
    return this.shapes.some((s) => !s.erase);
  }

  /** Show the layer over `region`; a different region starts an empty mask. */
  setRegion(region: Rect | null): void {
    const same = region && this.region && region.x === this.region.x && region.y === this.region.y &&
      region.width === this.region.width && region.height === this.region.height;
    if (!same) this.shapes = [];
    this.region = region;
    if (!region) this.setPainting(false);
    this.draw();
    this.changed();
  }

  setPainting(on: boolean): void {
    this.painting = on && this.region !== null;
    this.element.classList.toggle("painting", this.painting);
    this.draw();
    this.changed();
  }

  setBrush(size: number): void {
    this.brush = clampBrush(size);
    this.changed();
  }

  clear(): void {
    this.shapes = [];
    this.draw();
    this.changed();
  }

  /** Mask = the part of `bounds` (board units) inside the region: "use this shape". */
  addBounds(bounds: Rect): void {
    if (!this.region) return;
    this.shapes.push(rectFill({ x: bounds.x - this.region.x, y: bounds.y - this.region.y, width: bounds.width, height: bounds.height }));
    this.draw();
    this.changed();
  }

  private toRegion(e: PointerEvent): Point {
    const r = this.surface.getBoundingClientRect();
    const b = this.editor.toBoard({ x: e.clientX - r.left, y: e.clientY - r.top });
    return { x: b.x - (this.region?.x ?? 0), y: b.y - (this.region?.y ?? 0) };
  }

  private down(e: PointerEvent): void {
    if (!this.painting || e.button !== 0) return;
    e.stopPropagation();
    this.element.setPointerCapture?.(e.pointerId);
    this.active = { points: [this.toRegion(e)], size: this.brush, erase: this.erase || e.altKey };
    this.shapes.push(this.active);
    this.draw();
  }

  private move(e: PointerEvent): void {
    if (!this.active || !("points" in this.active)) return;
    this.active.points.push(this.toRegion(e));
    this.draw();
  }

  private up(cancelled: boolean): void {
    if (!this.active) return;
    this.shapes = endStroke(this.shapes, this.active, cancelled);
    this.active = null;
    if (cancelled) {
      this.draw(); // take the half stroke off the preview; the mask is as it was
      return;
    }
    this.changed();
  }

  /** Position over the region and paint a red tint where the mask will change pixels. */
  draw(): void {
    const region = this.region;
    const show = region !== null && (this.painting || this.hasMask);
    // Runs on every camera move: with no mask on show it writes nothing.
    setHidden(this.element, !show);
    if (!region || !show) return;
    const cam = this.editor.camera;
    const tl = boardToScreen(cam, region);
    const w = Math.max(1, Math.round(region.width * cam.zoom));
    const hgt = Math.max(1, Math.round(region.height * cam.zoom));
    setStyles(this.element, { left: `${tl.x}px`, top: `${tl.y}px`, width: `${w}px`, height: `${hgt}px` });
    if (this.element.width !== w) this.element.width = w;
    if (this.element.height !== hgt) this.element.height = hgt;
    const ctx = this.element.getContext("2d");
    if (!ctx) return;
    ctx.clearRect(0, 0, w, hgt);
    ctx.save();
    ctx.scale(cam.zoom, cam.zoom);
    for (const shape of this.shapes) {
      ctx.globalCompositeOperation = shape.erase ? "destination-out" : "source-over";
      ctx.fillStyle = ctx.strokeStyle = "rgba(239, 68, 68, 0.55)";
      if ("rect" in shape) {
        ctx.fillRect(shape.rect.x, shape.rect.y, shape.rect.width, shape.rect.height);
        continue;
      }
      ctx.lineWidth = shape.size;
      ctx.lineCap = ctx.lineJoin = "round";
      ctx.beginPath();
      const [first, ...rest] = shape.points;
      if (!first) continue;
      ctx.moveTo(first.x, first.y);
      for (const p of rest.length ? rest : [first]) ctx.lineTo(p.x, p.y);
      ctx.stroke();
    }
    ctx.restore();
  }
}
