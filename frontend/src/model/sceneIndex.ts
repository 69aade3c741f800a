/**
 * Keeps a spatial index of the document's item bounds up to date and answers the
 * questions tools and the renderer ask: what is visible in this board rectangle, what is
 * under this point (topmost first, respecting rotation), what does this marquee touch.
 *
 * Pure (no DOM, no Konva): it listens to a BoardDocument and nothing else.
 */
import type { BoardDocument } from "./document";
import {
  type Point,
  type Rect,
  placementBounds,
  placementContainsPoint,
  rectContainsRect,
  rectsIntersect,
  unionRects,
} from "./geometry";
import { SpatialIndex } from "./spatialIndex";
import type { ItemData } from "../protocol";

export class SceneIndex {
  readonly index = new SpatialIndex(1024);
  private readonly unsubscribe: () => void;
  /** contentBounds() until the document changes (the minimap asks on every camera move). */
  private content: Rect | null | undefined;

  constructor(private readonly doc: BoardDocument) {
    for (const item of doc.ordered()) this.index.upsert(item.id, placementBounds(item));
    this.unsubscribe = doc.subscribe((change) => {
      this.content = undefined;
      if (change.reset) {
        this.index.clear();
        for (const item of doc.ordered()) this.index.upsert(item.id, placementBounds(item));
        return;
      }
      for (const id of change.removed) this.index.remove(id);
      for (const id of change.upserted) {
        const item = doc.get(id);
        if (item) this.index.upsert(id, placementBounds(item));
      }
    });
  }

  dispose(): void {
    this.unsubscribe();
  }

  /** Ids intersecting `rect` (hidden items included: the renderer decides how to draw them). */
  visible(rect: Rect): Set<string> {
    return this.index.query(rect);
  }

  /**
   * Topmost visible item under the point, or null. Frames are picked by their name label
   * (a strip `frameLabel` board units tall above the top edge), as in Figma: a drag on a
   * frame's empty body starts a marquee over its contents instead of grabbing the frame.
   */
  hitTest(point: Point, tolerance = 0, frameLabel = 0): ItemData | null {
    const candidates = this.index.query({
      x: point.x - tolerance,
      y: point.y - tolerance - frameLabel,
      width: 2 * tolerance,
      height: 2 * tolerance + 2 * frameLabel,
    });
    let best: ItemData | null = null;
    let bestLabel: ItemData | null = null;
    for (const id of candidates) {
      const item = this.doc.get(id);
      if (!item || item.hidden) continue;
      if (item.kind === "frame") {
        const strip = { ...item, y: item.y - frameLabel, height: frameLabel };
        if (frameLabel > 0 && !item.rotation && placementContainsPoint(strip, point)) {
          if (!bestLabel || item.z > bestLabel.z) bestLabel = item;
        }
        continue;
      }
      if (!placementContainsPoint(item, point)) continue;
      if (!best || item.z > best.z) best = item;
    }
    return bestLabel ?? best;
  }

  /** The topmost frame whose body contains the point (for dropping into / double-click). */
  frameAt(point: Point): ItemData | null {
    let best: ItemData | null = null;
    for (const id of this.index.query({ x: point.x, y: point.y, width: 0, height: 0 })) {
      const item = this.doc.get(id);
      if (!item || item.hidden || item.kind !== "frame") continue;
      if (placementContainsPoint(item, point) && (!best || item.z > best.z)) best = item;
    }
    return best;
  }

  /**
   * Items a marquee selects: fully enclosed items, plus items merely touched when `touch`
   * is true. Frames are only selected when fully enclosed so that dragging inside a frame
   * selects its contents, not the frame.
   */
  inRect(rect: Rect, touch = true): string[] {
    const out: string[] = [];
    for (const id of this.index.query(rect)) {
      const item = this.doc.get(id);
      if (!item || item.hidden) continue;
      const bounds = placementBounds(item);
      const enclosed = rectContainsRect(rect, bounds);
      if (enclosed || (touch && item.kind !== "frame" && rectsIntersect(rect, bounds))) out.push(id);
    }
    return out;
  }

  boundsOf(ids: Iterable<string>): Rect | null {
    const rects: Rect[] = [];
    for (const id of ids) {
      const b = this.index.boundsOf(id);
      if (b) rects.push(b);
    }
    return unionRects(rects);
  }

  /** Bounds of every item, for zoom-to-fit and the minimap. */
  contentBounds(): Rect | null {
    if (this.content === undefined) this.content = this.boundsOf(this.doc.ids());
    return this.content;
  }
}
