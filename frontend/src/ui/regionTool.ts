/**
 * The Region tool (R): drag a rectangle on the canvas to choose where a job works. While
 * it is on, a transparent layer over the canvas takes the drag (so the select tool never
 * sees it); wheel zoom and pan still reach the canvas. The chosen region stays outlined and
 * follows the camera.
 *
 * It must not change the board; it only reports the rectangle (jobs/region.ts does the maths).
 */
import type { Editor } from "../editor";
import { type Point, type Rect, boardToScreen } from "../model/geometry";
import { regionFromMarquee } from "../jobs/region";
import { h } from "./dom";

/** Position `el` over a board rectangle in screen pixels. */
export function placeOver(el: HTMLElement, editor: Editor, rect: Rect): void {
  const cam = editor.camera;
  const tl = boardToScreen(cam, rect);
  el.style.left = `${tl.x}px`;
  el.style.top = `${tl.y}px`;
  el.style.width = `${Math.max(1, rect.width * cam.zoom)}px`;
  el.style.height = `${Math.max(1, rect.height * cam.zoom)}px`;
}

export class RegionTool {
  readonly catcher: HTMLElement;
  readonly outline: HTMLElement;
  private readonly rubber: HTMLElement;
  private start: Point | null = null;
  private on = false;
  private readonly activeListeners = new Set<(on: boolean) => void>();
  region: Rect | null = null;

  constructor(
    private readonly editor: Editor,
    private readonly surface: HTMLElement,
    private readonly onRegion: (region: Rect) => void,
  ) {
    this.rubber = h("div", { class: "ab-marquee ab-region-rubber", hidden: true });
    this.catcher = h("div", { class: "ab-region-catcher z-canvas-tool", hidden: true, "data-testid": "region-catcher" }, this.rubber);
    this.outline = h("div", { class: "ab-region-outline z-canvas-overlay", hidden: true, "data-testid": "region-outline" });
    this.catcher.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      e.stopPropagation();
      this.catcher.setPointerCapture?.(e.pointerId);
      this.start = this.board(e);
      this.rubber.hidden = false;
      this.drawRubber(this.start);
    });
    this.catcher.addEventListener("pointermove", (e) => {
      if (this.start) this.drawRubber(this.board(e));
    });
    const finish = (e: PointerEvent) => {
      if (!this.start) return;
      const region = regionFromMarquee(this.start, this.board(e));
      this.start = null;
      this.rubber.hidden = true;
      if (region) {
        this.setActive(false);
        this.setRegion(region);
        this.onRegion(region);
      }
    };
    this.catcher.addEventListener("pointerup", finish);
    this.catcher.addEventListener("pointercancel", () => {
      this.start = null;
      this.rubber.hidden = true;
    });
    editor.on("camera", () => this.drawOutline());
  }

  get active(): boolean {
    return this.on;
  }

  setActive(on: boolean): void {
    this.on = on;
    this.catcher.hidden = !on;
    this.surface.classList.toggle("ab-region-mode", on);
    for (const fn of this.activeListeners) fn(on);
  }

  /** Told whenever the tool is switched on or off (the toolbar button shows it). */
  onActiveChange(fn: (on: boolean) => void): void {
    this.activeListeners.add(fn);
  }

  setRegion(region: Rect | null): void {
    this.region = region;
    this.drawOutline();
  }

  private board(e: PointerEvent): Point {
    const r = this.surface.getBoundingClientRect();
    return this.editor.toBoard({ x: e.clientX - r.left, y: e.clientY - r.top });
  }

  private drawRubber(to: Point): void {
    if (!this.start) return;
    const x = Math.min(this.start.x, to.x);
    const y = Math.min(this.start.y, to.y);
    placeOver(this.rubber, this.editor, { x, y, width: Math.abs(to.x - this.start.x), height: Math.abs(to.y - this.start.y) });
  }

  private drawOutline(): void {
    this.outline.hidden = !this.region;
    if (this.region) placeOver(this.outline, this.editor, this.region);
  }
}
