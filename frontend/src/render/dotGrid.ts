/**
 * The board's backdrop: the surface colour and its dot grid, painted by one Konva shape at
 * the bottom of the content layer, so the content canvas is the only layer a pan moves: a
 * pan within the slack (model/panSlack.ts) moves one canvas, and the grid is repainted
 * only with the content (a re-centre, a zoom, a resize). It replaced a CSS
 * background on a compositor layer of its own, which the software compositor blended
 * under the canvas on every pan frame (~40 % of a frame's CPU at the matched 1280 × 800
 * canvas, bench/README.md, issue 18).
 *
 * The dots come from a pattern drawn at whole device pixels: a pattern that is scaled or
 * placed between pixels is resampled pixel by pixel (13–47 ms for a 1600 × 1120 canvas
 * here, against 1–3 ms unscaled). The grid step is fractional, so the tile holds k × k
 * dots at their exact positions, k chosen so that k steps are within 0.03 px of a whole
 * number of pixels; the pattern's origin is rounded to a pixel. Dots are thus within half
 * a device pixel of where the camera puts them. It must not know about items;
 * model/cull.ts (`gridPlacement`, `dotsPerTile`) does the maths.
 */
import Konva from "konva";
import { dotsPerTile, gridPlacement } from "../model/cull";
import type { Camera } from "../model/geometry";

/** The surface under the board (styles.css `.ab-surface`). */
export const BACKDROP_COLOR = "#18191c";
const DOT_COLOR = "#3b3e46";
/** The dot's radius (CSS px; anti-aliased, as the CSS grid's 0.9–1.3 px gradient was). */
const DOT_RADIUS_PX = 1.1;

export class DotGrid {
  readonly shape: Konva.Shape;
  private pattern: CanvasPattern | null = null;
  private patternKey = "";

  /** `camera()`: the camera the canvas is drawn for (slack included); `dpr`: device pixels per CSS px. */
  constructor(
    private readonly camera: () => Camera,
    private readonly dpr: number,
  ) {
    this.shape = new Konva.Shape({
      name: "backdrop",
      listening: false,
      perfectDrawEnabled: false,
      sceneFunc: (ctx) => this.draw(ctx._context),
    });
  }

  private draw(ctx: CanvasRenderingContext2D): void {
    const { width, height } = ctx.canvas;
    const g = gridPlacement(this.camera());
    const step = g.step * this.dpr;
    const key = `${step} ${this.dpr}`;
    if (key !== this.patternKey) {
      this.pattern = makePattern(ctx, step, this.dpr);
      this.patternKey = key;
    }
    // Device pixels, whatever the layer's camera: the backdrop covers the whole canvas.
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    if (this.pattern) {
      // The tile's first dot is half a step in: a dot every step from the offset on.
      const x = Math.round(g.offsetX * this.dpr - step / 2);
      const y = Math.round(g.offsetY * this.dpr - step / 2);
      this.pattern.setTransform(new DOMMatrix([1, 0, 0, 1, x, y]));
    }
    ctx.fillStyle = this.pattern ?? BACKDROP_COLOR;
    ctx.fillRect(0, 0, width, height);
  }
}

/** An opaque tile of k × k dots `step` device px apart (the first half a step in); `dpr`: device px per CSS px. */
function makePattern(ctx: CanvasRenderingContext2D, step: number, dpr: number): CanvasPattern | null {
  const k = dotsPerTile(step);
  const size = Math.max(1, Math.round(k * step));
  const tile = document.createElement("canvas");
  tile.width = size;
  tile.height = size;
  const t = tile.getContext("2d");
  if (!t) return null;
  t.fillStyle = BACKDROP_COLOR;
  t.fillRect(0, 0, size, size);
  t.fillStyle = DOT_COLOR;
  t.beginPath();
  for (let i = 0; i < k; i += 1) {
    for (let j = 0; j < k; j += 1) {
      const x = (i + 0.5) * step;
      const y = (j + 0.5) * step;
      t.moveTo(x + DOT_RADIUS_PX * dpr, y);
      t.arc(x, y, DOT_RADIUS_PX * dpr, 0, 2 * Math.PI);
    }
  }
  t.fill();
  return ctx.createPattern(tile, "repeat");
}
