/**
 * Fingers on the canvas (Pointer Events with pointerType "touch"), wired to the editor:
 * one finger pans, a tap selects, a long press starts a marquee or moves the item under the
 * finger, a double tap zooms in, two fingers pinch-zoom around themselves and pan. Mouse and
 * pen never come here: they keep the desktop gestures of tools/pointer.ts.
 *
 * A tool that draws with one finger (Region, mask brush, Comment, Frame, Text, a transform
 * handle) keeps its single finger; a second finger anywhere on the canvas cancels that
 * stroke (a `pointercancel` to it) and pinches instead, so a tablet user can always zoom.
 *
 * It listens in the capture phase of the canvas surface and stops the events it owns, so
 * nothing below sees a finger twice. It must not decide what an edit means (pointer.ts and
 * model/actions.ts do).
 */
import type { Editor } from "../editor";
import { type Camera, type Point, panBy } from "../model/geometry";
import { type Gesture, LONG_PRESS_MS, TouchRecognizer, pinchCamera } from "./gestures";
import type { PointerInput } from "./pointer";

/** Where a finger may start a canvas gesture: the board itself and the tools' input catchers. */
const CANVAS_TARGETS = ".ab-stage, .ab-region-catcher, .ab-comment-catcher, .ab-mask-layer";
/** Tools whose single finger navigates (the rest draw or place something). */
const NAVIGATING_TOOLS = new Set(["select", "hand", "zoom"]);

export class TouchInput {
  private readonly recognizer = new TouchRecognizer();
  /** Fingers whose events stop here (the recogniser acts on them). */
  private readonly owned = new Set<number>();
  /** A finger left to a drawing tool: its element, to cancel it when a pinch starts. */
  private passthrough: { id: number; target: EventTarget } | null = null;
  private pinchStart: Camera | null = null;
  private longPressTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly editor: Editor,
    private readonly surface: HTMLElement,
    private readonly pointer: PointerInput,
  ) {
    const opts = { capture: true };
    surface.addEventListener("pointerdown", (e) => this.down(e), opts);
    surface.addEventListener("pointermove", (e) => this.move(e), opts);
    surface.addEventListener("pointerup", (e) => this.up(e), opts);
    surface.addEventListener("pointercancel", (e) => this.cancel(e), opts);
  }

  private local(e: PointerEvent): Point {
    const r = this.surface.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }

  private down(e: PointerEvent): void {
    if (e.pointerType !== "touch") return;
    const target = e.target as HTMLElement | null;
    if (!target?.closest?.(CANVAS_TARGETS)) return; // minimap, strips, toasts: their own buttons
    const p = this.local(e);
    const first = !this.recognizer.active;
    const onStage = !!target.closest(".ab-stage");
    const navigates = onStage && NAVIGATING_TOOLS.has(this.editor.tool) && !this.editor.renderer.isOnHandle(p);
    if (first && !navigates) {
      // One finger for the active tool; we only watch it in case a second one comes.
      this.passthrough = { id: e.pointerId, target };
      this.recognizer.down(e.pointerId, p, performance.now());
      return;
    }
    if (!first && this.passthrough) {
      // A second finger: take the first one back from its tool (it cancels its stroke).
      const { id, target: firstTarget } = this.passthrough;
      this.passthrough = null;
      firstTarget.dispatchEvent(new PointerEvent("pointercancel", { pointerId: id, pointerType: "touch", bubbles: true }));
      this.owned.add(id);
    }
    this.owned.add(e.pointerId);
    e.stopPropagation();
    e.preventDefault();
    this.surface.setPointerCapture?.(e.pointerId);
    this.apply(this.recognizer.down(e.pointerId, p, performance.now()));
    if (first) {
      this.clearTimer();
      this.longPressTimer = setTimeout(() => this.apply(this.recognizer.tick(performance.now())), LONG_PRESS_MS + 10);
    }
  }

  private move(e: PointerEvent): void {
    if (e.pointerType !== "touch") return;
    const gestures = this.recognizer.move(e.pointerId, this.local(e), performance.now());
    if (!this.owned.has(e.pointerId)) return;
    e.stopPropagation();
    this.apply(gestures);
  }

  private up(e: PointerEvent): void {
    if (e.pointerType !== "touch") return;
    const gestures = this.recognizer.up(e.pointerId, this.local(e), performance.now());
    if (this.passthrough?.id === e.pointerId) this.passthrough = null;
    if (!this.owned.delete(e.pointerId)) return;
    e.stopPropagation();
    if (!this.recognizer.active) this.clearTimer();
    this.apply(gestures);
  }

  private cancel(e: PointerEvent): void {
    if (e.pointerType !== "touch" || !e.isTrusted) return; // our own cancel goes to the tool
    const gestures = this.recognizer.cancel(e.pointerId);
    this.passthrough = null;
    if (!this.owned.size) return;
    this.owned.clear();
    this.clearTimer();
    e.stopPropagation();
    this.apply(gestures);
  }

  private clearTimer(): void {
    if (this.longPressTimer) clearTimeout(this.longPressTimer);
    this.longPressTimer = null;
  }

  private apply(gestures: Gesture[]): void {
    const ed = this.editor;
    for (const g of gestures) {
      switch (g.kind) {
        case "pan":
          ed.setCamera(panBy(ed.camera, g.dx, g.dy));
          break;
        case "pinch-start":
          this.pinchStart = ed.camera;
          break;
        case "pinch":
          if (this.pinchStart) ed.setCamera(pinchCamera(this.pinchStart, g.from, g.to));
          break;
        case "pinch-end":
          this.pinchStart = null;
          break;
        case "tap":
          this.pointer.tapAt(g.at);
          break;
        case "double-tap":
          ed.zoomToCursor(g.at, ed.camera.zoom * 2);
          break;
        case "long-press":
          this.pointer.pressAt(g.at);
          navigator.vibrate?.(10);
          break;
        case "drag":
          this.pointer.dragTo(g.at);
          break;
        case "drag-end":
          this.pointer.releaseAt(g.at);
          break;
        case "drag-cancel":
          this.pointer.cancelDrag();
          break;
      }
    }
  }
}
