/**
 * Draws every image that shows its final atlas cell in one Konva shape: one `drawImage`
 * per image from its sheet, instead of a Konva group and image node per image. Zoomed out,
 * a board is thousands of 5–60 px images, and Konva's per-node work (transform, save,
 * restore, opacity, clearing every descendant's transform cache on each camera move) cost
 * more than the pixels. Such entries keep their nodes, taken out of the layer while the
 * batch draws them and put back when they swap to a preview level.
 *
 * The shape sits at the bottom of the content layer and draws its images in z order; so
 * below ATLAS_EDGE images are drawn under frames and notes that would otherwise sit
 * between them (a frame's 3.5 % fill and outline, a note under an image). Selected images
 * are never batched (the transform handles measure their nodes).
 */
import Konva from "konva";
import type { Entry } from "./entries";

export interface Cell {
  sheet: ImageBitmap;
  x: number;
  y: number;
  width: number;
  height: number;
}

export class AtlasBatch {
  readonly shape: Konva.Shape;
  private readonly members = new Set<Entry>();
  private ordered: Entry[] = [];
  private orderDirty = false;
  /** Images drawn by the shape in the last frame (for measuring). */
  drawn = 0;

  constructor(
    /** Where entries' groups live when they are not batched. */
    private readonly layer: Konva.Layer,
    /** A move preview's offset of an item, if it is being dragged. */
    private readonly offset: (id: string) => { dx: number; dy: number } | null,
  ) {
    this.shape = new Konva.Shape({
      listening: false,
      perfectDrawEnabled: false,
      sceneFunc: (ctx) => this.draw(ctx._context),
    });
  }

  /**
   * Draw `entry` from `cell` in the batch (its group taken out of the layer), or give it
   * back to its nodes. Returns true when a group went back into the layer (the caller
   * re-sorts the layer).
   */
  set(entry: Entry, cell: Cell | null): boolean {
    if (cell) {
      entry.cell = cell;
      if (!this.members.has(entry)) {
        this.members.add(entry);
        this.orderDirty = true;
        entry.group.remove();
      }
      return false;
    }
    if (!entry.cell) return false;
    entry.cell = undefined;
    this.members.delete(entry);
    this.orderDirty = true;
    // Off screen (renderer cull: kept for a pan, not drawn) it stays out of the layer.
    if (entry.onScreen === false) return false;
    this.layer.add(entry.group);
    return true;
  }

  /** The entry is gone (destroyed with its nodes). */
  forget(entry: Entry): void {
    if (this.members.delete(entry)) this.orderDirty = true;
  }

  /** Paint order changed (an item's z). */
  reorder(): void {
    this.orderDirty = true;
  }

  private draw(ctx: CanvasRenderingContext2D): void {
    if (this.orderDirty) {
      this.ordered = [...this.members].sort(
        (a, b) => a.item.z - b.item.z || (a.item.id < b.item.id ? -1 : a.item.id > b.item.id ? 1 : 0),
      );
      this.orderDirty = false;
    }
    let drawn = 0;
    for (const entry of this.ordered) {
      const cell = entry.cell;
      if (!cell || entry.item.hidden || entry.onScreen === false) continue;
      const item = entry.item;
      const shift = this.offset(item.id);
      const x = item.x + (shift?.dx ?? 0);
      const y = item.y + (shift?.dy ?? 0);
      if (item.rotation || item.opacity !== 1) {
        ctx.save();
        ctx.globalAlpha *= item.opacity;
        ctx.translate(x, y);
        ctx.rotate((item.rotation * Math.PI) / 180);
        ctx.drawImage(cell.sheet, cell.x, cell.y, cell.width, cell.height, 0, 0, item.width, item.height);
        ctx.restore();
      } else {
        ctx.drawImage(cell.sheet, cell.x, cell.y, cell.width, cell.height, x, y, item.width, item.height);
      }
      drawn += 1;
    }
    this.drawn = drawn;
  }
}
