/**
 * The content layer's scene: the items the renderer knows, the entries (Konva nodes) of
 * the culled set, which of them are in the layer, and their paint order.
 *
 * Two rings (model/cull.ts): items in the *keep* rect have entries, so their images load
 * ahead of a pan; only those crossing the *draw* rect (and the selection) are in the layer.
 * Konva walks every child of a layer both to draw it and to clear transform caches when
 * the camera moves, so what is off screen is detached (kept, with its bitmap). Images that
 * draw their final atlas cell are drawn by one shape (atlasBatch.ts) instead of their nodes.
 *
 * It reports what changed (for the renderer's dirty flags) and never draws, loads images
 * or schedules frames itself.
 */
import Konva from "konva";
import { type Rect, placementBounds, rectsIntersect } from "../model/geometry";
import { SpatialIndex } from "../model/spatialIndex";
import type { ItemData } from "../protocol";
import { AtlasBatch } from "./atlasBatch";
import type { Entry } from "./entries";
import { type MovePreview, buildEntry, layoutEntry } from "./entryNodes";

/** What a cull changed. */
export interface CullOutcome {
  /** Items in the keep ring plus the pinned ones. */
  visible: number;
  /** Entries were made: their levels must be chosen and the layer sorted. */
  created: boolean;
  /** A group went into the layer: the layer must be sorted. */
  reorder: boolean;
  /** The layer's content changed (an entry destroyed, put in or taken out). */
  changed: boolean;
}

export class ContentScene {
  readonly layer = new Konva.Layer({ listening: false });
  readonly items = new Map<string, ItemData>();
  readonly entries = new Map<string, Entry>();
  readonly batch: AtlasBatch;
  /** Items offset by a move gesture in progress. */
  preview: MovePreview | null = null;
  private readonly index = new SpatialIndex(1024);

  /** `forget(id)`: an entry is gone (its video clip, if any, must go too). */
  constructor(private readonly forget: (id: string) => void) {
    this.batch = new AtlasBatch(this.layer, (id) => (this.preview?.ids.has(id) ? this.preview : null));
    this.layer.add(this.batch.shape);
  }

  /** Record `item`; returns true when its paint order changed. */
  upsert(item: ItemData): boolean {
    const old = this.items.get(item.id);
    this.items.set(item.id, item);
    this.index.upsert(item.id, placementBounds(item));
    return !!old && old.z !== item.z;
  }

  /** Forget `id`; returns true when it had an entry (the layer changed). */
  remove(id: string): boolean {
    this.items.delete(id);
    this.index.remove(id);
    return this.destroyEntry(id);
  }

  clear(): void {
    for (const id of [...this.entries.keys()]) this.destroyEntry(id);
    this.items.clear();
    this.index.clear();
  }

  /**
   * Lay `item` out on its entry, if it has one; returns true when the entry's picture level
   * must be chosen again (entryNodes.ts `layoutEntry`).
   */
  relayout(id: string, zoom: number): boolean {
    const entry = this.entries.get(id);
    const item = this.items.get(id);
    return !!entry && !!item && layoutEntry(entry, item, this.preview, zoom);
  }

  /**
   * Make entries for the keep rect (and `pinned`, which is never culled: the transformer
   * and outlines need the selection's nodes), destroy the others, and put in the layer
   * exactly those crossing the draw rect.
   */
  cull(keep: Rect, draw: Rect, pinned: ReadonlySet<string>, zoom: number): CullOutcome {
    const wanted = this.index.query(keep);
    for (const id of pinned) if (this.items.has(id)) wanted.add(id);
    const outcome: CullOutcome = { visible: wanted.size, created: false, reorder: false, changed: false };
    for (const id of [...this.entries.keys()]) if (!wanted.has(id) && this.destroyEntry(id)) outcome.changed = true;
    for (const id of wanted) {
      if (this.entries.has(id)) continue;
      const item = this.items.get(id);
      if (!item) continue;
      const entry = buildEntry(item);
      this.entries.set(item.id, entry);
      layoutEntry(entry, item, this.preview, zoom);
      outcome.created = true;
    }
    for (const [id, entry] of this.entries) {
      const onScreen = (pinned.has(id) && this.items.has(id)) || this.crosses(entry.item, draw);
      if (onScreen === entry.onScreen) continue;
      entry.onScreen = onScreen;
      // A batched image (atlasBatch.ts) keeps its group out of the layer either way.
      if (onScreen && !entry.cell) {
        this.layer.add(entry.group);
        outcome.reorder = true;
      } else if (!onScreen) entry.group.remove();
      outcome.changed = true;
    }
    return outcome;
  }

  /** Paint order: what is not an entry first, in the order it was added (the backdrop, the
   * atlas batch: the sort is stable), then entries by z (ties by id). */
  sort(): void {
    this.batch.reorder();
    // Sort Konva's own child array in place (getChildren() returns a copy), then renumber.
    const children = this.layer.children as Konva.Group[];
    const zOf = new Map<Konva.Node, [number, string]>();
    for (const [id, entry] of this.entries) if (entry.onScreen) zOf.set(entry.group, [entry.item.z, id]);
    children.sort((a, b) => {
      // Not an entry: the backdrop and the atlas batch, drawn first (under every entry).
      const za = zOf.get(a) ?? [-Infinity, ""];
      const zb = zOf.get(b) ?? [-Infinity, ""];
      return za[0] - zb[0] || (za[1] < zb[1] ? -1 : za[1] > zb[1] ? 1 : 0);
    });
    children.forEach((child, i) => {
      child.index = i;
    });
  }

  /** Nodes in the layer or drawn by the batch (on screen or selected). */
  drawnCount(): number {
    let n = 0;
    for (const entry of this.entries.values()) if (entry.onScreen) n += 1;
    return n;
  }

  private destroyEntry(id: string): boolean {
    const entry = this.entries.get(id);
    if (!entry) return false;
    this.batch.forget(entry);
    this.forget(id);
    entry.group.destroy();
    this.entries.delete(id);
    return true;
  }

  private crosses(item: ItemData, rect: Rect): boolean {
    const offset = this.preview?.ids.has(item.id) ? this.preview : null;
    const b = placementBounds(item);
    return rectsIntersect(offset ? { ...b, x: b.x + offset.dx, y: b.y + offset.dy } : b, rect);
  }
}
