/**
 * The Konva nodes of one item: which nodes each kind of item gets, and how an item's
 * placement, size, text and badge are written onto them. The renderer's content scene
 * (contentScene.ts) decides when an entry exists and whether it is drawn; this module only
 * builds and lays out, so the drawing of an item kind lives in one place. It must not load
 * images (imageLevels.ts chooses and loads what a picture shows).
 */
import Konva from "konva";
import type { ItemData } from "../protocol";
import { type Entry, scaleDecorations, updateBadge } from "./entries";

/** A drag preview's offset of the items being moved (no document change). */
export interface MovePreview {
  ids: Set<string>;
  dx: number;
  dy: number;
}

/** Items drawn as a picture from their asset: images, and video clips (their poster still;
 * playing clips on the canvas is for the video item's own view, docs/video.md). Posters are
 * not in the atlas: a video item always draws from its poster's levels. */
export function drawsPicture(item: ItemData): boolean {
  return drawsPictureKind(item.kind);
}

export function drawsPictureKind(kind: string | undefined): boolean {
  return kind === "image" || kind === "video";
}

/** A new entry for `item`, its group out of any layer (the cull puts it in when on screen). */
export function buildEntry(item: ItemData): Entry {
  const group = new Konva.Group({ listening: false });
  const entry: Entry = { item, group, onScreen: false };
  if (drawsPicture(item)) {
    entry.placeholder = new Konva.Rect({ fill: "#2c2e34", perfectDrawEnabled: false, listening: false });
    entry.image = new Konva.Image({ image: undefined, perfectDrawEnabled: false, listening: false });
    group.add(entry.placeholder, entry.image);
  } else if (item.kind === "frame") {
    entry.box = new Konva.Rect({
      fill: "rgba(255,255,255,0.035)",
      stroke: "#4a4e58",
      strokeWidth: 1,
      strokeScaleEnabled: false,
      perfectDrawEnabled: false,
      listening: false,
    });
    entry.label = new Konva.Text({ fontSize: 12, fill: "#9a9ea6", listening: false, perfectDrawEnabled: false });
    group.add(entry.box, entry.label);
  } else if (item.kind === "text") {
    entry.box = new Konva.Rect({ fill: "#fff6bf", cornerRadius: 4, perfectDrawEnabled: false, listening: false });
    entry.text = new Konva.Text({ fill: "#1f2330", padding: 12, listening: false, perfectDrawEnabled: false });
    group.add(entry.box, entry.text);
  } else {
    entry.box = new Konva.Rect({ fill: "rgba(255,64,64,0.35)", perfectDrawEnabled: false, listening: false });
    group.add(entry.box);
  }
  return entry;
}

/**
 * Write `item` onto the entry's nodes (offset by a move preview). Returns true when the
 * picture's level must be chosen again: a new entry, or a change of size, visibility or
 * asset. A move (or a drag preview frame) must not trigger a pass over every visible image.
 */
export function layoutEntry(entry: Entry, item: ItemData, preview: MovePreview | null, zoom: number): boolean {
  const prev = entry.item;
  const levelInputsChanged =
    prev !== item &&
    (prev.width !== item.width || prev.height !== item.height || prev.hidden !== item.hidden || prev.asset !== item.asset);
  const fresh = !entry.wantUrl;
  entry.item = item;
  const offset = preview?.ids.has(item.id) ? preview : null;
  entry.group.setAttrs({
    x: item.x + (offset?.dx ?? 0),
    y: item.y + (offset?.dy ?? 0),
    rotation: item.rotation,
    opacity: item.opacity,
    visible: !item.hidden,
    scaleX: 1,
    scaleY: 1,
  });
  const size = { width: item.width, height: item.height };
  entry.placeholder?.size(size);
  entry.image?.size(size);
  entry.box?.size(size);
  if (entry.text) {
    entry.text.setAttrs({
      text: String(item.props.text ?? ""),
      width: item.width,
      height: item.height,
      fontSize: Number(item.props.fontSize ?? 24),
    });
  }
  if (entry.label) entry.label.text(item.name || "Frame");
  updateBadge(entry);
  scaleDecorations(entry, zoom);
  return drawsPicture(item) && (fresh || levelInputsChanged);
}
