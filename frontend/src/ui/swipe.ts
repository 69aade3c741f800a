/**
 * Horizontal swipes on an element (a picture): the picture follows the finger and, when the
 * finger lifts, `onStep(1)` moves to the next item or `onStep(-1)` to the previous one
 * (tools/gestures.ts `swipeStep` decides). Mouse drags are left alone (a mouse has arrows
 * and keys). Used by the candidate viewer and the review page's compare.
 *
 * The element should let vertical scrolling and pinch through (`touch-action: pan-y
 * pinch-zoom`), so the browser still zooms the picture with two fingers.
 */
import { swipeStep } from "../tools/gestures";

export function attachSwipe(el: HTMLElement, onStep: (step: 1 | -1) => void, follow: HTMLElement = el): void {
  let start: { x: number; y: number; t: number; id: number } | null = null;
  el.addEventListener("pointerdown", (e) => {
    if (e.pointerType === "mouse" || start) return;
    start = { x: e.clientX, y: e.clientY, t: performance.now(), id: e.pointerId };
  });
  el.addEventListener("pointermove", (e) => {
    if (start?.id !== e.pointerId) return;
    follow.style.transform = `translateX(${e.clientX - start.x}px)`;
  });
  const end = (e: PointerEvent, cancelled: boolean) => {
    if (start?.id !== e.pointerId) return;
    const step = cancelled ? 0 : swipeStep(e.clientX - start.x, e.clientY - start.y, performance.now() - start.t);
    start = null;
    follow.style.transform = "";
    if (step) onStep(step);
  };
  el.addEventListener("pointerup", (e) => end(e, false));
  el.addEventListener("pointercancel", (e) => end(e, true));
}
