/**
 * Level-of-detail choice for image items: which pre-rendered pyramid level to fetch for
 * the size an image currently has on screen. Pure; the renderer calls it and the bitmap
 * cache keys on the URL it returns.
 */
import type { AssetData, ItemData } from "../protocol";
import type { Camera, Size } from "./geometry";

export interface LodChoice {
  /** The level's long-edge size, or null for the original file. */
  level: number | null;
  url: string;
}

/**
 * Smallest level whose long edge is ≥ the on-screen long edge × devicePixelRatio; the
 * original when even the top level is too small (or the asset has no levels).
 */
export function chooseLevel(asset: AssetData, onScreenLongEdgeCss: number, dpr = 1): LodChoice {
  const needed = Math.max(1, onScreenLongEdgeCss * Math.max(1, dpr));
  const levels = [...asset.levels].sort((a, b) => a - b);
  const sourceLongEdge = Math.max(asset.width, asset.height);
  for (const level of levels) {
    // A level at least as large as the source is just a re-encoded original; prefer it
    // anyway because webp levels are cheaper to decode than arbitrary originals.
    if (level >= needed || level >= sourceLongEdge) {
      return { level, url: levelUrl(asset, level) };
    }
  }
  return { level: null, url: asset.original_url };
}

export function levelUrl(asset: AssetData, level: number): string {
  return asset.level_url.replace("{level}", String(level));
}

/** On-screen long edge of an item of board size w×h at the given zoom. */
export function onScreenLongEdge(width: number, height: number, zoom: number): number {
  return Math.max(Math.abs(width), Math.abs(height)) * zoom;
}

/**
 * Load order of an item's image: the distance of its middle from the middle of the view,
 * in screen px (lower loads first), so what is on screen loads before the margin.
 */
export function loadPriority(item: Pick<ItemData, "x" | "y" | "width" | "height">, camera: Camera, view: Size): number {
  const x = (item.x + item.width / 2) * camera.zoom + camera.panX - view.width / 2;
  const y = (item.y + item.height / 2) * camera.zoom + camera.panY - view.height / 2;
  return Math.hypot(x, y);
}
