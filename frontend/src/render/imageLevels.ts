/**
 * What each picture draws, and loading it: the level-of-detail choice for the entries of
 * the culled set (model/lod.ts), the board's atlas sheets for tiny images (atlas.ts), the
 * stand-ins while a level loads, and which decoded bitmaps stay pinned in the loader's LRU.
 *
 * Below ATLAS_EDGE device pixels an image is drawn from its cell in the board's atlas
 * sheets (a whole board in a handful of requests), and an image whose level is still
 * loading shows its atlas cell meanwhile, never a blank placeholder once the sheet is in.
 * Levels are chosen again LOD_DEBOUNCE_MS after the last zoom step, not during a zoom.
 *
 * It must not cull, order or draw layers (contentScene.ts and the renderer do); it only
 * sets the bitmap an entry's image shows and asks the renderer for a frame.
 */
import type { Camera, Size } from "../model/geometry";
import { chooseLevel, loadPriority, onScreenLongEdge } from "../model/lod";
import type { ItemData } from "../protocol";
import { type AtlasSpot, BoardAtlasIndex } from "./atlas";
import type { AtlasBatch } from "./atlasBatch";
import type { Entry } from "./entries";
import { drawsPicture } from "./entryNodes";
import { ImageLoader, thumbKey } from "./imageLoader";

/** Wait this long after the last zoom step before switching image levels (avoids jank). */
const LOD_DEBOUNCE_MS = 150;
/** Images smaller than this on screen (device px) draw from a client-made thumbnail. */
const THUMB_EDGE = 64;
/** Images at most this large on screen (device px) draw from the atlas (cells are 62 px). */
const ATLAS_EDGE = 64;
/** Loader priority of atlas sheets: before any single image. */
const SHEET_PRIORITY = -1;
/** Sheets fetched as soon as the index is in, before the board's items arrive (4,096 images). */
const PREFETCH_SHEETS = 16;

/** What the level choice reads from the renderer, and how it asks for a frame. */
export interface LevelHost {
  readonly entries: ReadonlyMap<string, Entry>;
  readonly batch: AtlasBatch;
  camera(): Camera;
  size(): Size;
  selection(): ReadonlySet<string>;
  /** A group went back into the layer: sort it before the next draw. */
  reorder(): void;
  /** What an entry shows changed: draw the content layer in this frame (or the next one). */
  redraw(): void;
  schedule(): void;
}

export class ImageLevels {
  /** A level choice is due at the next frame. */
  due = true;
  readonly loader: ImageLoader;
  private readonly pinned = new Set<string>();
  private atlas: BoardAtlasIndex | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastZoom = 0;

  constructor(
    private readonly host: LevelHost,
    private readonly dpr: number,
  ) {
    this.loader = new ImageLoader((url) => this.pinned.has(url));
  }

  /** Nothing is settled while a choice is pending (zoom debounce or a due refresh). */
  get choosing(): boolean {
    return this.timer !== null || this.due;
  }

  get atlasSheets(): number {
    return this.atlas?.sheets ?? 0;
  }

  /** Draw zoomed-out images from the board's atlas sheets (index at `url`). */
  useAtlas(url: string): void {
    this.atlas?.destroy();
    this.atlas = new BoardAtlasIndex(url, () => {
      // The index usually arrives before the board's snapshot: fetch the sheets meanwhile.
      for (const sheet of this.atlas?.sheetUrls(PREFETCH_SHEETS) ?? []) {
        this.pinned.add(sheet);
        this.loader.request(sheet, () => {}, SHEET_PRIORITY);
      }
      // New cells: entries re-choose (and show stand-ins) at the next frame.
      for (const entry of this.host.entries.values()) entry.wantUrl = undefined;
      this.due = true;
      this.host.schedule();
    });
    void this.atlas.load();
  }

  /** An item arrived: an image the index does not cover makes it re-read (atlas.ts). */
  noteItem(item: ItemData): void {
    if (item.kind === "image" && item.asset && this.atlas && !this.atlas.spot(item.asset.id)) this.atlas.missing();
  }

  /** The selection changed: selected images leave the atlas batch (handles measure their nodes) and come back. */
  selectionChanged(ids: ReadonlySet<string>): void {
    for (const entry of this.host.entries.values()) {
      if (entry.cell && ids.has(entry.item.id) && this.host.batch.set(entry, null)) this.host.reorder();
      else if (!entry.cell && entry.fromAtlas && entry.shownUrl === entry.wantUrl) entry.wantUrl = undefined;
    }
    this.due = true;
  }

  /** A zoom step: choose levels once the zoom has rested. */
  zoomed(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.due = true;
      this.host.schedule();
    }, LOD_DEBOUNCE_MS);
  }

  destroy(): void {
    if (this.timer) clearTimeout(this.timer);
    this.loader.cache.clear();
    this.atlas?.destroy();
  }

  /** Choose (and request) what every picture entry should show. */
  refresh(): void {
    this.due = false;
    const camera = this.host.camera();
    // While a zoom gesture is running, keep the levels we have; the debounce will refresh.
    const zooming = this.timer !== null && this.lastZoom !== 0;
    for (const entry of this.host.entries.values()) {
      const item = entry.item;
      if (!drawsPicture(item) || !item.asset || item.hidden) continue;
      if (zooming && entry.shownUrl) continue;
      const onScreen = onScreenLongEdge(item.width, item.height, camera.zoom) * this.dpr;
      // A cold open waits for the atlas index rather than fetch each tiny image (atlas.ts).
      if (onScreen <= ATLAS_EDGE && this.atlas && !this.atlas.ready) continue;
      const spot = this.atlas?.spot(item.asset.id);
      const priority = loadPriority(item, camera, this.host.size());
      if (spot && onScreen <= ATLAS_EDGE) {
        if (entry.wantUrl === spot.url) continue;
        entry.wantUrl = spot.url;
        this.showFromSheet(entry, spot, true);
        continue;
      }
      const level = chooseLevel(item.asset, onScreen / this.dpr, this.dpr).url;
      const thumb = onScreen <= THUMB_EDGE;
      const want = thumb ? thumbKey(level, THUMB_EDGE) : level;
      if (want === entry.wantUrl) continue;
      entry.wantUrl = want;
      this.pinned.add(want);
      if (thumb) this.pinned.add(level);
      // Nothing drawn yet: the atlas cell stands in until the level arrives.
      if (!entry.shownUrl && spot) this.showFromSheet(entry, spot, false);
      const show = (bmp: ImageBitmap | null) => {
        const current = this.host.entries.get(item.id);
        if (!current || current.wantUrl !== want) return;
        if (!bmp) {
          this.showOriginalInstead(item, want);
          return;
        }
        this.showBitmap(current, bmp, want);
      };
      if (thumb) this.loader.requestThumb(level, THUMB_EDGE, show, priority);
      else this.loader.request(want, show, priority);
    }
    this.lastZoom = camera.zoom;
    this.repin();
    this.loader.prune((url) => this.pinned.has(url));
    this.loader.evict();
  }

  /**
   * Show the entry's atlas cell once its sheet is decoded: as what it wants (`final`), or
   * as a stand-in while nothing else is drawn.
   */
  private showFromSheet(entry: Entry, spot: AtlasSpot, final: boolean): void {
    const id = entry.item.id;
    entry.sheetUrl = spot.url;
    this.pinned.add(spot.url);
    this.loader.request(
      spot.url,
      (sheet) => {
        const current = this.host.entries.get(id);
        if (!current || !sheet) return;
        if (final ? current.wantUrl !== spot.url : current.shownUrl) return;
        this.showBitmap(current, sheet, spot.url, spot);
      },
      SHEET_PRIORITY,
    );
  }

  private showBitmap(entry: Entry, bmp: ImageBitmap, url: string, crop?: AtlasSpot): void {
    entry.shownUrl = url;
    entry.fromAtlas = !!crop;
    // A final atlas cell of an unselected image is drawn by the batch, not by its nodes.
    const batched = !!crop && entry.wantUrl === url && !this.host.selection().has(entry.item.id);
    if (this.host.batch.set(entry, batched ? { sheet: bmp, ...crop } : null)) {
      this.host.reorder(); // its group is back in the layer, at the end: re-sort
    }
    entry.image?.image(bmp);
    entry.image?.crop(crop ? { x: crop.x, y: crop.y, width: crop.width, height: crop.height } : { x: 0, y: 0, width: 0, height: 0 });
    entry.placeholder?.visible(false);
    // Through the renderer's frame, not Konva's batchDraw: inside a frame (a level refresh
    // after a re-centre) the layer is drawn once, not again at the next frame.
    this.host.redraw();
  }

  /** A missing level (not generated yet, or failed) falls back to the original. */
  private showOriginalInstead(item: ItemData, want: string): void {
    const entry = this.host.entries.get(item.id);
    const original = item.asset?.original_url;
    if (!entry || !original || want === original) return;
    entry.wantUrl = undefined;
    this.loader.request(original, (orig) => {
      const again = this.host.entries.get(item.id);
      if (!again || !orig || again.wantUrl !== undefined) return;
      this.pinned.add(original);
      this.showBitmap(again, orig, original);
    });
  }

  /** URLs drawn or awaited by live nodes; recomputed once per level refresh, not per lookup. */
  private repin(): void {
    this.pinned.clear();
    for (const sheet of this.atlas?.sheetUrls(PREFETCH_SHEETS) ?? []) this.pinned.add(sheet);
    for (const entry of this.host.entries.values()) {
      if (entry.shownUrl) this.pinned.add(entry.shownUrl);
      if (entry.sheetUrl) this.pinned.add(entry.sheetUrl);
      if (entry.wantUrl) {
        this.pinned.add(entry.wantUrl);
        // A thumbnail being made needs its source level until it exists.
        const source = entry.wantUrl.split("#thumb")[0] as string;
        if (source !== entry.wantUrl && entry.shownUrl !== entry.wantUrl) this.pinned.add(source);
      }
    }
  }
}
