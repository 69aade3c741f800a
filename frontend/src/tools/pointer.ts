/**
 * Pointer, wheel and touchpad input on the canvas, turned into editor calls. Each tool is
 * a small gesture state machine (select/move/marquee, hand, zoom, frame, text); the
 * space bar and middle button pan whatever the tool. Move drags only preview on the
 * renderer and commit one "Move" action on release, so a drag is one undo step and one
 * batch.
 *
 * It must not decide what an edit means (model/actions.ts does) nor touch panels.
 */
import type { Editor } from "../editor";
import { blankItem, createItems, moveBy, movableSet } from "../model/actions";
import { type Point, panBy, rectFromPoints } from "../model/geometry";
import { zTop } from "../model/zorder";

type Gesture =
  | { kind: "pan"; last: Point }
  | { kind: "move"; start: Point; startBoard: Point; ids: string[]; moved: boolean }
  | { kind: "marquee"; start: Point; additive: boolean; base: Set<string> }
  | { kind: "frame"; start: Point }
  | null;

const DRAG_THRESHOLD_PX = 3;
/** Height of a frame's name label on screen (the renderer draws it 18 px above the frame). */
const FRAME_LABEL_PX = 20;

export class PointerInput {
  private gesture: Gesture = null;
  private spaceHeld = false;
  private lastCursor: Point | null = null;
  private editAfterRelease: string | null = null;
  private readonly marquee: HTMLDivElement;

  constructor(
    private readonly editor: Editor,
    private readonly surface: HTMLElement,
    private readonly onCursor: (board: Point | null) => void,
  ) {
    this.marquee = document.createElement("div");
    this.marquee.className = "ab-marquee";
    this.marquee.hidden = true;
    surface.appendChild(this.marquee);
    surface.addEventListener("pointerdown", (e) => this.down(e));
    surface.addEventListener("pointermove", (e) => this.move(e));
    surface.addEventListener("pointerup", (e) => this.up(e));
    surface.addEventListener("pointercancel", () => this.cancel());
    surface.addEventListener("pointerleave", () => this.onCursor(null));
    surface.addEventListener("wheel", (e) => this.wheel(e), { passive: false });
    surface.addEventListener("dblclick", (e) => this.doubleClick(e));
    // Safari reports trackpad pinch as non-standard gesture events instead of ctrl+wheel.
    let gestureStartZoom = 1;
    surface.addEventListener("gesturestart", (e) => {
      e.preventDefault();
      gestureStartZoom = this.editor.camera.zoom;
    });
    surface.addEventListener("gesturechange", (e) => {
      e.preventDefault();
      const g = e as Event & { scale?: number; clientX?: number; clientY?: number };
      const at = this.local({ clientX: g.clientX ?? 0, clientY: g.clientY ?? 0 });
      this.editor.zoomToCursor(at, gestureStartZoom * (g.scale ?? 1));
    });
    surface.addEventListener("contextmenu", (e) => e.preventDefault());
    window.addEventListener("keydown", (e) => {
      // Space on a button, link or layer row presses it; it pans only over the canvas.
      if (e.code === "Space" && !isTyping(e) && !isControl(e)) {
        if (!this.spaceHeld) this.updateCursorStyle(true);
        this.spaceHeld = true;
        e.preventDefault();
      }
    });
    window.addEventListener("keyup", (e) => {
      if (e.code === "Space") {
        this.spaceHeld = false;
        this.updateCursorStyle(false);
      }
    });
    editor.on("tool", () => this.updateCursorStyle(false));
    this.updateCursorStyle(false);
  }

  /** Current cursor in board units (for paste placement). */
  get cursorBoard(): Point | null {
    return this.lastCursor ? this.editor.toBoard(this.lastCursor) : null;
  }

  private local(e: { clientX: number; clientY: number }): Point {
    const r = this.surface.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }

  /** Only the canvas itself starts gestures, not overlays inside the surface (minimap, toasts). */
  private onCanvas(e: Event): boolean {
    return !!(e.target as HTMLElement | null)?.closest?.(".ab-stage");
  }

  private down(e: PointerEvent): void {
    if (!this.onCanvas(e)) return;
    const p = this.local(e);
    const ed = this.editor;
    if (e.button === 1 || (e.button === 0 && (this.spaceHeld || ed.tool === "hand"))) {
      this.begin(e, { kind: "pan", last: p });
      e.preventDefault();
      return;
    }
    if (e.button !== 0) return;
    if (ed.renderer.isOnHandle(p)) return; // the transformer handles its own drag
    const b = ed.toBoard(p);
    switch (ed.tool) {
      case "zoom":
        ed.zoomToCursor(p, ed.camera.zoom * (e.altKey || e.shiftKey ? 0.5 : 2));
        return;
      case "frame":
        if (ed.canEdit) this.begin(e, { kind: "frame", start: p });
        return;
      case "text":
        if (ed.canEdit) this.createText(b);
        return;
      default:
        break;
    }
    const hit = this.hitAt(p);
    if (hit) {
      if (e.shiftKey || e.metaKey || e.ctrlKey) {
        ed.toggleSelected(hit.id);
        return;
      }
      if (!ed.selection.has(hit.id)) ed.select([hit.id]);
      const ids = ed.canEdit ? movableSet(ed.doc, ed.selection) : [];
      this.begin(e, { kind: "move", start: p, startBoard: b, ids, moved: false });
      return;
    }
    const additive = e.shiftKey || e.metaKey || e.ctrlKey;
    this.begin(e, { kind: "marquee", start: p, additive, base: additive ? new Set(ed.selection) : new Set() });
  }

  private begin(e: PointerEvent, gesture: Gesture): void {
    this.gesture = gesture;
    this.surface.setPointerCapture(e.pointerId);
  }

  private move(e: PointerEvent): void {
    const p = this.local(e);
    this.lastCursor = p;
    this.onCursor(this.editor.toBoard(p));
    this.track(p);
  }

  /** The pointer (or, after a long press, the finger) moved to `p`: carry on the gesture. */
  private track(p: Point): void {
    const g = this.gesture;
    if (!g) return;
    const ed = this.editor;
    if (g.kind === "pan") {
      ed.setCamera(panBy(ed.camera, p.x - g.last.x, p.y - g.last.y));
      g.last = p;
    } else if (g.kind === "move") {
      if (!g.moved && Math.hypot(p.x - g.start.x, p.y - g.start.y) < DRAG_THRESHOLD_PX) return;
      g.moved = true;
      const b = ed.toBoard(p);
      ed.renderer.setMovePreview(g.ids, b.x - g.startBoard.x, b.y - g.startBoard.y);
    } else if (g.kind === "marquee" || g.kind === "frame") {
      const r = rectFromPoints(g.start, p);
      Object.assign(this.marquee.style, {
        left: `${r.x}px`,
        top: `${r.y}px`,
        width: `${r.width}px`,
        height: `${r.height}px`,
      });
      this.marquee.hidden = false;
      this.marquee.classList.toggle("frame", g.kind === "frame");
      if (g.kind === "marquee") {
        const boardRect = rectFromPoints(ed.toBoard(g.start), ed.toBoard(p));
        ed.select(new Set([...g.base, ...ed.scene.inRect(boardRect)]));
      }
    }
  }

  private up(e: PointerEvent): void {
    if (this.editAfterRelease) {
      const id = this.editAfterRelease;
      this.editAfterRelease = null;
      setTimeout(() => document.dispatchEvent(new CustomEvent("ab:edit-item", { detail: { id } })), 0);
    }
    this.finish(this.local(e));
  }

  /** The pointer (or finger) lifted at `p`: commit what the gesture did. */
  private finish(p: Point): void {
    const g = this.gesture;
    this.gesture = null;
    this.marquee.hidden = true;
    if (!g) return;
    const ed = this.editor;
    if (g.kind === "move") {
      ed.renderer.setMovePreview([], 0, 0);
      if (g.moved) {
        const b = ed.toBoard(p);
        ed.run(moveBy(ed.doc, g.ids, b.x - g.startBoard.x, b.y - g.startBoard.y));
      }
    } else if (g.kind === "marquee") {
      const moved = Math.hypot(p.x - g.start.x, p.y - g.start.y) >= DRAG_THRESHOLD_PX;
      if (!moved && !g.additive) ed.select([]);
    } else if (g.kind === "frame") {
      let r = rectFromPoints(ed.toBoard(g.start), ed.toBoard(p));
      if (r.width * ed.camera.zoom < 8 || r.height * ed.camera.zoom < 8) {
        const b = ed.toBoard(g.start);
        r = { x: b.x, y: b.y, width: 800, height: 600 };
      }
      this.createFrame(r);
    }
  }

  /** What a tap or click at screen point `p` picks (frames by their name label). */
  private hitAt(p: Point) {
    const ed = this.editor;
    return ed.scene.hitTest(ed.toBoard(p), 2 / ed.camera.zoom, FRAME_LABEL_PX / ed.camera.zoom);
  }

  // Touch (tools/touch.ts turns fingers into these): a tap selects, a long press starts what
  // a mouse drag would, and the finger then drags it.

  /** A tap: select what is under the finger (or clear the selection); the Zoom tool zooms in. */
  tapAt(p: Point): void {
    const ed = this.editor;
    if (ed.tool === "zoom") ed.zoomToCursor(p, ed.camera.zoom * 2);
    else if (ed.tool === "select") {
      const hit = this.hitAt(p);
      ed.select(hit ? [hit.id] : []);
    }
  }

  /** A long press: move the item under the finger (selecting it), or start a marquee. */
  pressAt(p: Point): void {
    const ed = this.editor;
    if (ed.tool !== "select") return;
    const hit = this.hitAt(p);
    if (hit) {
      if (!ed.selection.has(hit.id)) ed.select([hit.id]);
      const ids = ed.canEdit ? movableSet(ed.doc, ed.selection) : [];
      this.gesture = { kind: "move", start: p, startBoard: ed.toBoard(p), ids, moved: false };
    } else {
      this.gesture = { kind: "marquee", start: p, additive: false, base: new Set() };
    }
  }

  dragTo(p: Point): void {
    this.track(p);
  }

  releaseAt(p: Point): void {
    this.finish(p);
  }

  cancelDrag(): void {
    this.cancel();
  }

  private cancel(): void {
    if (this.gesture?.kind === "move") this.editor.renderer.setMovePreview([], 0, 0);
    this.gesture = null;
    this.marquee.hidden = true;
  }

  private wheel(e: WheelEvent): void {
    if (!this.onCanvas(e)) return;
    e.preventDefault();
    const ed = this.editor;
    const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? ed.viewport.height : 1;
    const dx = e.deltaX * unit;
    const dy = e.deltaY * unit;
    if (e.ctrlKey || e.metaKey) {
      // Trackpad pinch arrives as ctrl+wheel with small deltas; a mouse wheel click is ~100.
      const factor = Math.exp(-dy * (Math.abs(dy) < 40 ? 0.01 : 0.0025));
      // Only a zoom needs the cursor: measuring the surface on every pan event forced a
      // style recalculation per frame (the stage's transform had just changed).
      ed.zoomToCursor(this.local(e), ed.camera.zoom * factor);
    } else if (e.shiftKey && dx === 0) {
      ed.setCamera(panBy(ed.camera, -dy, 0));
    } else {
      ed.setCamera(panBy(ed.camera, -dx, -dy));
    }
  }

  private doubleClick(e: MouseEvent): void {
    const ed = this.editor;
    const b = ed.toBoard(this.local(e));
    const hit = ed.scene.hitTest(b, 2 / ed.camera.zoom, FRAME_LABEL_PX / ed.camera.zoom) ?? ed.scene.frameAt(b);
    if (!hit) return;
    ed.select([hit.id]);
    document.dispatchEvent(new CustomEvent("ab:edit-item", { detail: { id: hit.id } }));
  }

  private createFrame(r: { x: number; y: number; width: number; height: number }): void {
    const ed = this.editor;
    const frames = ed.doc.ordered().filter((i) => i.kind === "frame").length;
    // Frames start at the bottom of the stack so they sit behind what they contain.
    const lowest = ed.doc.ordered()[0]?.z ?? 1;
    const frame = blankItem("frame", r, lowest - 1, { name: `Frame ${frames + 1}` });
    if (ed.run(createItems("Add frame", [frame]))) {
      ed.select([frame.id]);
      ed.setTool("select");
    }
  }

  private createText(at: Point): void {
    const ed = this.editor;
    const note = blankItem(
      "text",
      { x: at.x, y: at.y, width: 280, height: 140 },
      zTop(ed.doc.ordered().map((i) => i.z)),
      { name: "Note", props: { text: "Note", fontSize: 24 } },
    );
    if (ed.run(createItems("Add note", [note]))) {
      ed.select([note.id]);
      ed.setTool("select");
      // Open the in-place editor after the click finishes, or the click's own focus
      // change would immediately blur (and close) it.
      this.editAfterRelease = note.id;
    }
  }

  private updateCursorStyle(space: boolean): void {
    const tool = this.editor.tool;
    this.surface.style.cursor =
      space || tool === "hand" ? "grab" : tool === "zoom" ? "zoom-in" : tool === "select" ? "default" : "crosshair";
  }
}

/** The key went to a control that Space/Enter activate (a button, link, layer row …). */
export function isControl(e: Event): boolean {
  const t = e.target as HTMLElement | null;
  return Boolean(t?.closest?.("button, a[href], summary, [role=treeitem], [role=option], [role=tab], [role=button]"));
}

export function isTyping(e: Event): boolean {
  const t = e.target as HTMLElement | null;
  if (!t) return false;
  return t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName);
}
