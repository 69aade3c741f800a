/**
 * The board's dot grid as a CSS background (`.ab-grid` in styles.css: one dot per tile of
 * `--grid-step`) on its own compositor layer under the stage. A pan changes only its
 * `transform`, which the compositor applies without repainting it; a zoom step changes the
 * tile. It replaced a full-size canvas that was redrawn and uploaded on every camera move.
 *
 * It must not know about items; model/cull.ts `gridPlacement` does the maths.
 */
import { gridPlacement } from "../model/cull";
import type { Camera } from "../model/geometry";

export class DotGrid {
  private readonly element: HTMLDivElement;
  private step = 0;
  private transform = "";

  /** Put the grid first in `container` (call after Konva built its stage there: it empties it). */
  constructor(container: HTMLElement) {
    this.element = document.createElement("div");
    this.element.className = "ab-grid";
    this.element.setAttribute("aria-hidden", "true");
    container.prepend(this.element);
  }

  /** Follow the camera, writing only what changed. */
  place(camera: Camera): void {
    const g = gridPlacement(camera);
    if (g.step !== this.step) {
      this.step = g.step;
      this.element.style.setProperty("--grid-step", `${g.step}px`);
    }
    // The element overhangs the stage by one tile on each side; the dot sits in a tile's middle.
    const transform = `translate(${g.offsetX - g.step * 1.5}px, ${g.offsetY - g.step * 1.5}px)`;
    if (transform !== this.transform) {
      this.transform = transform;
      this.element.style.transform = transform;
    }
  }
}
