/**
 * The Konva implementation of Renderer. The stage is always the viewport size and the
 * camera is a transform on two layers, never a bigger stage. Only the culled visible set
 * (viewport + margin, plus the selection) has Konva nodes at all; images are drawn from
 * the pyramid level matching their on-screen size (model/lod.ts), decoded into a bounded
 * LRU of ImageBitmaps. Content is `listening: false`: hit-testing is done geometrically
 * by the editor, so Konva never paints a hit canvas for thousands of images.
 *
 * Layers: grid (dots, screen space) → content (items) → overlay (selection outlines,
 * transform handles). This module must not change the document; it reports transform
 * gestures through onTransformEnd and the editor decides.
 */
import Konva from "konva";
import {
  type Camera,
  type Size,
  corners,
  expandRect,
  placementBounds,
  visibleBoardRect,
} from "../model/geometry";
import { chooseLevel, onScreenLongEdge } from "../model/lod";
import { SpatialIndex } from "../model/spatialIndex";
import type { ItemData } from "../protocol";
import { ImageLoader, thumbKey } from "./imageLoader";
import type { Renderer, RendererStats, TransformResult } from "./renderer";

interface Entry {
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
}

const ANCHOR_COLORS: Record<string, string> = {
  composition: "#3b82f6",
  palette: "#d946ef",
  lighting: "#f59e0b",
  style: "#10b981",
};
const SELECTION_COLOR = "#4f6bff";
/** Wait this long after the last zoom step before switching image levels (avoids jank). */
const LOD_DEBOUNCE_MS = 150;
/** Images smaller than this on screen (device px) draw from a client-made thumbnail. */
const THUMB_EDGE = 64;

export class KonvaRenderer implements Renderer {
  private readonly stage: Konva.Stage;
  private readonly gridLayer = new Konva.Layer({ listening: false });
  private readonly contentLayer = new Konva.Layer({ listening: false });
  private readonly overlayLayer = new Konva.Layer();
  private readonly transformer: Konva.Transformer;
  private readonly outlines: Konva.Shape;
  private readonly index = new SpatialIndex(1024);
  private readonly items = new Map<string, ItemData>();
  private readonly entries = new Map<string, Entry>();
  private readonly dirty = new Set<string>();
  private readonly pinned = new Set<string>();
  private readonly loader: ImageLoader;
  private selection = new Set<string>();
  private remoteSelections = new Map<string, string>();
  private camera: Camera = { panX: 0, panY: 0, zoom: 1 };
  private size: Size = { width: 1, height: 1 };
  private editable = true;
  private preview: { ids: Set<string>; dx: number; dy: number } | null = null;
  private frame = 0;
  private needsCull = true;
  private needsOrder = false;
  private lodDue = true;
  private lodTimer: ReturnType<typeof setTimeout> | null = null;
  private lastLodZoom = 0;
  private transformDirty = true;
  private cameraMoved = false;
  private transformCallback: (results: TransformResult[]) => void = () => {};
  private draws = 0;
  private visibleCount = 0;
  private readonly dpr = Math.min(3, globalThis.devicePixelRatio || 1);

  constructor(container: HTMLDivElement) {
    this.stage = new Konva.Stage({ container, width: 1, height: 1 });
    this.loader = new ImageLoader((url) => this.isPinned(url));
    const grid = new Konva.Shape({
      listening: false,
      perfectDrawEnabled: false,
      sceneFunc: (ctx) => this.drawGrid(ctx._context),
    });
    this.gridLayer.add(grid);
    this.outlines = new Konva.Shape({
      listening: false,
      perfectDrawEnabled: false,
      sceneFunc: (ctx) => this.drawOutlines(ctx._context),
    });
    this.transformer = new Konva.Transformer({
      rotateEnabled: true,
      flipEnabled: false,
      keepRatio: true,
      ignoreStroke: true,
      borderStroke: SELECTION_COLOR,
      anchorStroke: SELECTION_COLOR,
      anchorSize: 9,
      rotateAnchorOffset: 24,
      rotationSnaps: [0, 45, 90, 135, 180, 225, 270, 315],
      rotationSnapTolerance: 4,
      boundBoxFunc: (oldBox, newBox) => (newBox.width < 2 || newBox.height < 2 ? oldBox : newBox),
    });
    this.transformer.on("transformend", () => this.finishTransform());
    this.overlayLayer.add(this.outlines, this.transformer);
    this.stage.add(this.gridLayer, this.contentLayer, this.overlayLayer);
    this.contentLayer.on("draw", () => {
      this.draws += 1;
    });
  }

  setViewport(camera: Camera, size: Size): void {
    const zoomChanged = camera.zoom !== this.camera.zoom;
    this.cameraMoved = true;
    this.camera = { ...camera };
    if (size.width !== this.size.width || size.height !== this.size.height) {
      this.size = { ...size };
      this.stage.size(size);
    }
    for (const layer of [this.contentLayer, this.overlayLayer]) {
      layer.position({ x: camera.panX, y: camera.panY });
      layer.scale({ x: camera.zoom, y: camera.zoom });
    }
    if (zoomChanged) {
      for (const entry of this.entries.values()) this.scaleDecorations(entry);
      this.scheduleLod();
    }
    this.needsCull = true;
    this.schedule();
  }

  upsertItem(item: ItemData): void {
    const old = this.items.get(item.id);
    this.items.set(item.id, item);
    this.index.upsert(item.id, placementBounds(item));
    if (old && old.z !== item.z) this.needsOrder = true;
    this.dirty.add(item.id);
    this.needsCull = true;
    this.schedule();
  }

  removeItem(id: string): void {
    this.items.delete(id);
    this.index.remove(id);
    this.destroyEntry(id);
    this.selection.delete(id);
    this.needsCull = true;
    this.schedule();
  }

  clear(): void {
    for (const id of [...this.entries.keys()]) this.destroyEntry(id);
    this.items.clear();
    this.index.clear();
    this.schedule();
  }

  setSelection(ids: ReadonlySet<string>): void {
    this.selection = new Set(ids);
    this.needsCull = true;
    this.schedule();
  }

  setRemoteSelections(selections: ReadonlyMap<string, string>): void {
    this.remoteSelections = new Map(selections);
    this.needsCull = true;
    this.schedule();
  }

  setMovePreview(ids: readonly string[], dx: number, dy: number): void {
    const prev = this.preview;
    this.preview = ids.length ? { ids: new Set(ids), dx, dy } : null;
    for (const id of new Set([...(prev?.ids ?? []), ...ids])) this.dirty.add(id);
    this.schedule();
  }

  setEditable(editable: boolean): void {
    this.editable = editable;
    this.schedule();
  }

  onTransformEnd(callback: (results: TransformResult[]) => void): void {
    this.transformCallback = callback;
  }

  isOnHandle(screen: { x: number; y: number }): boolean {
    if (!this.transformer.visible() || !this.transformer.nodes().length) return false;
    const shape = this.stage.getIntersection(screen);
    return !!shape && shape.getParent() === this.transformer;
  }

  stats(): RendererStats {
    return {
      items: this.items.size,
      visible: this.visibleCount,
      nodes: this.entries.size,
      cacheEntries: this.loader.cache.size,
      cacheBytes: this.loader.cache.bytes,
      loading: this.loader.loading,
      draws: this.draws,
    };
  }

  /** Render synchronously now (tests and the benchmark use this to avoid waiting a frame). */
  flush(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.render();
  }

  destroy(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    if (this.lodTimer) clearTimeout(this.lodTimer);
    this.loader.cache.clear();
    this.stage.destroy();
  }

  // --- frame ------------------------------------------------------------------------------

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  private render(): void {
    if (this.needsCull) this.cull();
    // Handles follow the camera and edited nodes; otherwise they need no re-measure.
    if (this.dirty.size || this.cameraMoved) this.transformDirty = true;
    this.cameraMoved = false;
    for (const id of this.dirty) {
      const entry = this.entries.get(id);
      const item = this.items.get(id);
      if (entry && item) this.updateEntry(entry, item);
    }
    this.dirty.clear();
    if (this.needsOrder) this.sortContent();
    if (this.lodDue) this.refreshLevels();
    this.syncTransformer();
    this.gridLayer.batchDraw();
    this.contentLayer.batchDraw();
    this.overlayLayer.batchDraw();
  }

  private cull(): void {
    this.needsCull = false;
    const view = visibleBoardRect(this.camera, this.size);
    const margin = (0.25 * Math.max(this.size.width, this.size.height)) / this.camera.zoom;
    const wanted = this.index.query(expandRect(view, margin));
    // Never cull the selection: the transformer and outlines need its nodes.
    for (const id of this.selection) if (this.items.has(id)) wanted.add(id);
    for (const id of this.remoteSelections.keys()) if (this.items.has(id)) wanted.add(id);
    this.visibleCount = wanted.size;
    for (const id of [...this.entries.keys()]) if (!wanted.has(id)) this.destroyEntry(id);
    let created = false;
    for (const id of wanted) {
      if (this.entries.has(id)) continue;
      const item = this.items.get(id);
      if (!item) continue;
      this.createEntry(item);
      created = true;
    }
    if (created) {
      this.needsOrder = true;
      this.lodDue = true;
    }
  }

  private createEntry(item: ItemData): void {
    const group = new Konva.Group({ listening: false });
    const entry: Entry = { item, group };
    if (item.kind === "image") {
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
    this.entries.set(item.id, entry);
    this.contentLayer.add(group);
    this.updateEntry(entry, item);
  }

  private updateEntry(entry: Entry, item: ItemData): void {
    const prev = entry.item;
    // Level choice depends on size and visibility only; a move (or a drag preview frame)
    // must not trigger a pass over every visible image.
    const levelInputsChanged =
      prev !== item &&
      (prev.width !== item.width || prev.height !== item.height || prev.hidden !== item.hidden || prev.asset !== item.asset);
    const fresh = !entry.wantUrl;
    entry.item = item;
    const offset = this.preview?.ids.has(item.id) ? this.preview : null;
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
    this.updateBadge(entry);
    this.scaleDecorations(entry);
    if (item.kind === "image" && (fresh || levelInputsChanged)) this.lodDue = true;
  }

  private updateBadge(entry: Entry): void {
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

  /** Labels and badges keep a constant on-screen size whatever the zoom. */
  private scaleDecorations(entry: Entry): void {
    const s = 1 / this.camera.zoom;
    if (entry.badge) entry.badge.setAttrs({ x: 4 * s, y: 4 * s, scaleX: s, scaleY: s });
    if (entry.label) entry.label.setAttrs({ x: 0, y: -18 * s, scaleX: s, scaleY: s });
  }

  private destroyEntry(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    entry.group.destroy();
    this.entries.delete(id);
  }

  private sortContent(): void {
    this.needsOrder = false;
    // Sort Konva's own child array in place (getChildren() returns a copy), then renumber.
    const children = this.contentLayer.children as Konva.Group[];
    const zOf = new Map<Konva.Node, [number, string]>();
    for (const [id, entry] of this.entries) zOf.set(entry.group, [entry.item.z, id]);
    children.sort((a, b) => {
      const za = zOf.get(a) ?? [0, ""];
      const zb = zOf.get(b) ?? [0, ""];
      return za[0] - zb[0] || (za[1] < zb[1] ? -1 : za[1] > zb[1] ? 1 : 0);
    });
    children.forEach((child, i) => {
      child.index = i;
    });
  }

  private scheduleLod(): void {
    if (this.lodTimer) clearTimeout(this.lodTimer);
    this.lodTimer = setTimeout(() => {
      this.lodTimer = null;
      this.lodDue = true;
      this.schedule();
    }, LOD_DEBOUNCE_MS);
  }

  private refreshLevels(): void {
    this.lodDue = false;
    // While a zoom gesture is running, keep the levels we have; the debounce will refresh.
    const zooming = this.lodTimer !== null && this.lastLodZoom !== 0;
    for (const entry of this.entries.values()) {
      const item = entry.item;
      if (item.kind !== "image" || !item.asset || item.hidden) continue;
      if (zooming && entry.shownUrl) continue;
      const onScreen = onScreenLongEdge(item.width, item.height, this.camera.zoom) * this.dpr;
      const level = chooseLevel(item.asset, onScreen / this.dpr, this.dpr).url;
      const thumb = onScreen <= THUMB_EDGE;
      const want = thumb ? thumbKey(level, THUMB_EDGE) : level;
      if (want === entry.wantUrl) continue;
      entry.wantUrl = want;
      this.pinned.add(want);
      if (thumb) this.pinned.add(level);
      const show = (bmp: ImageBitmap | null) => {
        const current = this.entries.get(item.id);
        if (!current || current.wantUrl !== want) return;
        if (!bmp) {
          this.showOriginalInstead(item, want);
          return;
        }
        current.shownUrl = want;
        current.image?.image(bmp);
        current.placeholder?.visible(false);
        this.contentLayer.batchDraw();
      };
      if (thumb) this.loader.requestThumb(level, THUMB_EDGE, show);
      else this.loader.request(want, show);
    }
    this.lastLodZoom = this.camera.zoom;
    this.repin();
    this.loader.prune((url) => this.isPinned(url));
    this.loader.evict();
  }

  /** A missing level (not generated yet, or failed) falls back to the original. */
  private showOriginalInstead(item: ItemData, want: string): void {
    const entry = this.entries.get(item.id);
    const original = item.asset?.original_url;
    if (!entry || !original || want === original) return;
    entry.wantUrl = undefined;
    this.loader.request(original, (orig) => {
      const again = this.entries.get(item.id);
      if (!again || !orig || again.wantUrl !== undefined) return;
      again.shownUrl = original;
      again.image?.image(orig);
      again.placeholder?.visible(false);
      this.pinned.add(original);
      this.contentLayer.batchDraw();
    });
  }

  private isPinned(url: string): boolean {
    return this.pinned.has(url);
  }

  /** URLs drawn or awaited by live nodes; recomputed once per level refresh, not per lookup. */
  private repin(): void {
    this.pinned.clear();
    for (const entry of this.entries.values()) {
      if (entry.shownUrl) this.pinned.add(entry.shownUrl);
      if (entry.wantUrl) {
        this.pinned.add(entry.wantUrl);
        // A thumbnail being made needs its source level until it exists.
        const source = entry.wantUrl.split("#thumb")[0] as string;
        if (source !== entry.wantUrl && entry.shownUrl !== entry.wantUrl) this.pinned.add(source);
      }
    }
  }

  // --- selection ------------------------------------------------------------------------

  private syncTransformer(): void {
    const nodes: Konva.Group[] = [];
    // While a move is previewed the handles are detached: the transformer re-measures every
    // attached node on each node change, which made dragging 100 images cost ~50 ms a frame.
    // The dashed outlines (drawOutlines) stand in for it until the drop.
    if (this.editable && !this.preview) {
      for (const id of this.selection) {
        const entry = this.entries.get(id);
        if (entry && !entry.item.locked && !entry.item.hidden) nodes.push(entry.group);
      }
    }
    const current = this.transformer.nodes();
    const same = current.length === nodes.length && current.every((n, i) => n === nodes[i]);
    if (!same) this.transformer.nodes(nodes);
    let allImages = true;
    for (const id of this.selection) {
      if (this.entries.get(id)?.item.kind !== "image") allImages = false;
    }
    this.transformer.keepRatio(allImages);
    this.transformer.enabledAnchors(
      allImages
        ? ["top-left", "top-right", "bottom-left", "bottom-right"]
        : ["top-left", "top-center", "top-right", "middle-right", "middle-left", "bottom-left", "bottom-center", "bottom-right"],
    );
    this.transformer.visible(nodes.length > 0);
    if (nodes.length && (!same || this.transformDirty)) this.transformer.forceUpdate();
    this.transformDirty = false;
  }

  private finishTransform(): void {
    const results: TransformResult[] = [];
    for (const node of this.transformer.nodes()) {
      for (const [id, entry] of this.entries) {
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
    if (results.length) this.transformCallback(results);
  }

  // --- drawing helpers --------------------------------------------------------------------

  private drawGrid(ctx: CanvasRenderingContext2D): void {
    const { zoom, panX, panY } = this.camera;
    let spacing = 32;
    while (spacing * zoom < 14) spacing *= 2;
    while (spacing * zoom > 56) spacing /= 2;
    const step = spacing * zoom;
    const startX = ((panX % step) + step) % step;
    const startY = ((panY % step) + step) % step;
    ctx.fillStyle = "#3b3e46";
    ctx.beginPath();
    for (let x = startX; x < this.size.width; x += step) {
      for (let y = startY; y < this.size.height; y += step) ctx.rect(x - 0.75, y - 0.75, 1.5, 1.5);
    }
    ctx.fill();
  }

  private drawOutlines(ctx: CanvasRenderingContext2D): void {
    // Other people's selections, in their colours, under ours.
    ctx.lineWidth = 2 / this.camera.zoom;
    ctx.setLineDash([]);
    for (const [id, color] of this.remoteSelections) {
      const entry = this.entries.get(id);
      if (!entry || entry.item.hidden) continue;
      ctx.strokeStyle = color;
      ctx.beginPath();
      this.tracePlacement(ctx, entry.item);
      ctx.stroke();
    }
    // Outlines for selected items the transformer does not frame (locked, read-only).
    if (!this.selection.size) return;
    const transformed = new Set(this.transformer.nodes());
    ctx.lineWidth = 1.5 / this.camera.zoom;
    ctx.strokeStyle = SELECTION_COLOR;
    ctx.setLineDash([6 / this.camera.zoom, 4 / this.camera.zoom]);
    ctx.beginPath();
    for (const id of this.selection) {
      const entry = this.entries.get(id);
      if (!entry || transformed.has(entry.group)) continue;
      const offset = this.preview?.ids.has(id) ? this.preview : null;
      this.tracePlacement(ctx, offset ? { ...entry.item, x: entry.item.x + offset.dx, y: entry.item.y + offset.dy } : entry.item);
    }
    ctx.stroke();
    ctx.setLineDash([]);
  }

  private tracePlacement(ctx: CanvasRenderingContext2D, item: ItemData): void {
    const pts = corners(item);
    const first = pts[0];
    if (!first) return;
    ctx.moveTo(first.x, first.y);
    for (const p of pts.slice(1)) ctx.lineTo(p.x, p.y);
    ctx.closePath();
  }
}
