/**
 * The Region tool (R): drag a rectangle on the canvas to choose where a job works. While
 * it is on, a transparent layer over the canvas takes the drag (so the select tool never
 * sees it); wheel zoom and pan still reach the canvas. The chosen region stays outlined and
 * follows the camera.
 *
 * By keyboard: with the tool on, Enter places a region over the selection (or the middle
 * of the view) and focuses its outline; a focused outline moves with the arrows and
 * resizes with Alt (or ⌘/Ctrl) + arrows, Shift for ×10 (jobs/region.ts `regionKey`). Each
 * change is spoken through the polite live region.
 *
 * It must not change the board; it only reports the rectangle (jobs/region.ts does the maths).
 */
import type { Editor } from "../editor";
import { type Point, type Rect, boardToScreen } from "../model/geometry";
import { describeRegion, regionFromItems, regionFromMarquee, regionInView, regionKey } from "../jobs/region";
import { isControl, isTyping } from "../tools/pointer";
import { announce } from "./announcer";
import { h, setAttr, setHidden, setStyles } from "./dom";

/** Position `el` over a board rectangle in screen pixels. */
export function placeOver(el: HTMLElement, editor: Editor, rect: Rect): void {
  const cam = editor.camera;
  const tl = boardToScreen(cam, rect);
  setStyles(el, {
    left: `${tl.x}px`,
    top: `${tl.y}px`,
    width: `${Math.max(1, rect.width * cam.zoom)}px`,
    height: `${Math.max(1, rect.height * cam.zoom)}px`,
  });
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
    this.outline = h("div", {
      class: "ab-region-outline z-canvas-overlay",
      hidden: true,
      tabindex: "0",
      role: "application",
      "aria-roledescription": "job region",
      "aria-describedby": "ab-region-keys",
      "data-testid": "region-outline",
    });
    this.outline.append(
      h("span", { class: "visually-hidden", id: "ab-region-keys" }, "Arrows move it, Alt or Control plus arrows resize it, Shift for bigger steps."),
    );
    this.outline.addEventListener("keydown", (e) => this.onOutlineKey(e));
    // Enter with the tool on places a region without a pointer (capture: before the layers
    // list or the canvas shortcuts see the key).
    window.addEventListener(
      "keydown",
      (e) => {
        if (!this.on || e.key !== "Enter" || isTyping(e) || (isControl(e) && !(e.target as HTMLElement).closest("[role=treeitem]"))) return;
        e.preventDefault();
        e.stopImmediatePropagation();
        this.placeByKeyboard();
      },
      true,
    );
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

  /** Enter with the tool on: a region over the selection, else the middle of the view; focus it. */
  placeByKeyboard(): void {
    const items = [...this.editor.selection].map((id) => this.editor.doc.get(id)).filter((i) => i !== undefined);
    const tl = this.editor.toBoard({ x: 0, y: 0 });
    const br = this.editor.toBoard({ x: this.editor.viewport.width, y: this.editor.viewport.height });
    const region = regionFromItems(items) ?? regionInView({ x: tl.x, y: tl.y, width: br.x - tl.x, height: br.y - tl.y });
    if (!region) return;
    this.setActive(false);
    this.setRegion(region);
    this.onRegion(region);
    this.outline.focus();
    announce(`Region placed: ${describeRegion(region)}. ${items.length ? "Around the selection." : "In the middle of the view."}`);
  }

  private onOutlineKey(e: KeyboardEvent): void {
    if (!this.region) return;
    // About 10 screen pixels a step at any zoom, in whole board units.
    const step = Math.max(1, Math.round(10 / this.editor.camera.zoom));
    const next = regionKey(this.region, e.key, { shift: e.shiftKey, alt: e.altKey || e.ctrlKey || e.metaKey }, step);
    if (!next) return;
    e.preventDefault();
    e.stopPropagation(); // arrows here are the region's, not a nudge of the selection
    this.setRegion(next);
    this.onRegion(next);
    announce(describeRegion(next));
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
    // Runs on every camera move: only what changed is written (no region: nothing at all).
    setHidden(this.outline, !this.region);
    if (this.region) {
      placeOver(this.outline, this.editor, this.region);
      setAttr(this.outline, "aria-label", `Job region, ${describeRegion(this.region)}`);
    }
  }
}
