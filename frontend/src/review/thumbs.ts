/**
 * Which image URL to show for a candidate at a given size: the smallest pre-rendered level
 * whose long edge covers it, else the largest level, else the original (levels may not be
 * generated yet for a fresh result).
 */
import { levelUrl } from "../model/lod";
import type { AssetData } from "../protocol";

export function thumbUrl(asset: AssetData, longEdge: number): string {
  const levels = [...(asset.levels ?? [])].sort((a, b) => a - b);
  const fit = levels.find((l) => l >= longEdge) ?? levels[levels.length - 1];
  return fit === undefined ? asset.original_url : levelUrl(asset, fit);
}

/** "3 min ago" style time for "decided by … when". */
export function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}
