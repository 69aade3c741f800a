/**
 * A renderer entry (the Konva nodes of one item in the culled set), its anchor badge, and
 * the counts of what images draw, which the renderer reports in `stats()` for measuring
 * and browser tests: how many draw pixels, how many what the zoom needs, how many an atlas
 * cell.
 */
import Konva from "konva";
import type { ItemData } from "../protocol";
import type { Cell } from "./atlasBatch";
import type { TransformResult } from "./renderer";

export interface Entry {
  item: ItemData;
  group: Konva.Group;
  placeholder?: Konva.Rect;
  image?: Konva.Image;
  box?: Konva.Rect;
  text?: Konva.Text;
  label?: Konva.Text;
  badge?: Konva.Label;
  wantUrl?: string;
  shownUrl?: string;
  /** The atlas sheet this entry shows or waits for as a stand-in (kept pinned). */
  sheetUrl?: string;
  /** Whether the image shows an atlas cell (a crop of a sheet). */
  fromAtlas?: boolean;
  /** Set while the atlas batch draws this image (its group out of the layer): atlasBatch.ts. */
  cell?: Cell;
  /** Inside the draw rect (or selected): in the content layer and drawn; else detached. */
  onScreen?: boolean;
}

export const ANCHOR_COLORS: Record<string, string> = {
  composition: "#3b82f6",
  palette: "#d946ef",
  lighting: "#f59e0b",
  style: "#10b981",
};

/** The anchor role badge of an image: shown while it has a role. */
export function updateBadge(entry: Entry): void {
  const role = entry.item.anchor_role;
  if (!role) {
    entry.badge?.destroy();
    delete entry.badge;
    return;
  }
  if (!entry.badge) {
    entry.badge = new Konva.Label({ listening: false });
    entry.badge.add(new Konva.Tag({ cornerRadius: 3, listening: false }));
    entry.badge.add(new Konva.Text({ fontSize: 11, padding: 4, fill: "#fff", listening: false }));
    entry.group.add(entry.badge);
  }
  (entry.badge.getTag() as Konva.Tag).fill(ANCHOR_COLORS[role] ?? "#555");
  (entry.badge.getText() as Konva.Text).text(role.toUpperCase());
}

export interface ImageCounts {
  images: number;
  imagesDrawn: number;
  imagesSettled: number;
  fromAtlas: number;
}

/** Counts over shown image entries; `choosing`: a level choice is due, nothing is settled. */
export function countImages(entries: Iterable<Entry>, choosing: boolean): ImageCounts {
  const counts: ImageCounts = { images: 0, imagesDrawn: 0, imagesSettled: 0, fromAtlas: 0 };
  for (const entry of entries) {
    if (entry.item.kind !== "image" || entry.item.hidden) continue;
    counts.images += 1;
    if (!entry.shownUrl) continue;
    counts.imagesDrawn += 1;
    if (!choosing && (entry.shownUrl === entry.wantUrl || entry.wantUrl === undefined)) counts.imagesSettled += 1;
    if (entry.fromAtlas) counts.fromAtlas += 1;
  }
  return counts;
}

/** Labels and badges keep a constant on-screen size whatever the zoom. */
export function scaleDecorations(entry: Entry, zoom: number): void {
  const s = 1 / zoom;
  if (entry.badge) entry.badge.setAttrs({ x: 4 * s, y: 4 * s, scaleX: s, scaleY: s });
  if (entry.label) entry.label.setAttrs({ x: 0, y: -18 * s, scaleX: s, scaleY: s });
}

/** What a finished resize/rotate did to each transformed node; resets their scale. */
export function transformResults(nodes: Konva.Node[], entries: ReadonlyMap<string, Entry>): TransformResult[] {
  const results: TransformResult[] = [];
  for (const node of nodes) {
    for (const [id, entry] of entries) {
      if (entry.group !== node) continue;
      const sx = node.scaleX();
      const sy = node.scaleY();
      results.push({
        id,
        x: node.x(),
        y: node.y(),
        width: Math.max(1, entry.item.width * Math.abs(sx)),
        height: Math.max(1, entry.item.height * Math.abs(sy)),
        rotation: ((node.rotation() % 360) + 360) % 360,
      });
      node.scale({ x: 1, y: 1 });
    }
  }
  return results;
}
