/**
 * The Konva implementation of Renderer: one stage, a content layer (the backdrop, surface
 * colour and dot grid, painted first: the one layer a pan moves) and an overlay layer,
 * drawn once per animation frame with only what changed. The camera is a transform on the
 * layers. The stage is the view plus a pan slack on each side
 * (model/panSlack.ts): a pan within the slack only moves the stage's element by a CSS
 * transform, which the compositor applies; the layers are redrawn, re-centred, on a zoom,
 * a resize or a pan past the slack. This module holds the frame loop and the dirty flags;
 * the work is in its parts:
 *
 * - contentScene.ts: the culled set (entries in the keep ring, only on-screen ones in the
 *   layer), their lifecycle and paint order; entryNodes.ts builds and lays out an entry;
 * - imageLevels.ts: which pyramid level or atlas cell each picture draws, and loading it;
 * - selectionOverlay.ts: transform handles and selection outlines;
 * - dotGrid.ts: the backdrop and its grid; videoClips.ts: clips playing on the canvas.
 *
 * Content is `listening: false`: hit-testing is done geometrically by the editor, so Konva
 * never paints a hit canvas for thousands of images. This module must not change the
 * document; it reports transform gestures through onTransformEnd and the editor decides.
 */
import Konva from "konva";
import { cullRects } from "../model/cull";
import type { Camera, Point, Size } from "../model/geometry";
import { canvasCamera, canvasSize, screenToCanvas, slackFor, slackShift, slackTransform } from "../model/panSlack";
import type { ItemData } from "../protocol";
import { ContentScene } from "./contentScene";
import { DotGrid } from "./dotGrid";
import { type Entry, countImages, scaleDecorations } from "./entries";
import { ImageLevels } from "./imageLevels";
import type { Renderer, RendererStats, TransformResult } from "./renderer";
import { SelectionOverlay } from "./selectionOverlay";
import { VideoClips } from "./videoClips";

export class KonvaRenderer implements Renderer {
  private readonly stage: Konva.Stage;
  private readonly grid: DotGrid;
  private readonly scene: ContentScene;
  private readonly overlay: SelectionOverlay;
  private readonly levels: ImageLevels;
  private readonly dirty = new Set<string>();
  private selection = new Set<string>();
  private remoteSelections = new Map<string, string>();
  private camera: Camera = { panX: 0, panY: 0, zoom: 1 };
  private size: Size = { width: 1, height: 1 };
  private editable = true;
  private frame = 0;
  private needsCull = true;
  private needsOrder = false;
  private transformDirty = true;
  private cameraMoved = false;
  private contentDirty = true;
  /** Something on the overlay changed (a slack pan changes nothing on it). */
  private overlayDirty = true;
  /** CSS px the stage extends past the view on each side (model/panSlack.ts). */
  private slack = 0;
  /** The camera the layers are drawn for; null until the first viewport. */
  private base: Camera | null = null;
  /** The stage element's translation from its resting place (camera pan − base pan). */
  private shift: Point = { x: 0, y: 0 };
  private stageTransform = "";
  private readonly deviceRatio = globalThis.devicePixelRatio || 1;
  private transformCallback: (results: TransformResult[]) => void = () => {};
  private draws = 0;
  private visibleCount = 0;
  private readonly dpr = Math.min(3, globalThis.devicePixelRatio || 1);
  /** Video items playing on hover/selection, their scrub bar and drift curve. */
  readonly videoClips: VideoClips;

  constructor(container: HTMLDivElement) {
    // This renderer draws its layers itself, once per frame and only when dirty (render()).
    // Konva's automatic batchDraw on every attribute change drew the content layer again
    // on the frame after each re-centre and each image swap; the transformer and video
    // clips ask for their draws explicitly.
    Konva.autoDrawEnabled = false;
    this.stage = new Konva.Stage({ container, width: 1, height: 1 });
    // Konva hit-tests the stage on every wheel event it sees (a read-back of the overlay's
    // full-size hit canvas, ~2 ms a pan frame), for Konva wheel listeners this app never
    // adds: the editor's wheel handler is on the surface (tools/pointer.ts).
    Object.assign(this.stage, { _wheel: () => {} });
    this.grid = new DotGrid(() => canvasCamera(this.base ?? this.camera, this.slack), this.deviceRatio);
    this.scene = new ContentScene((id) => this.videoClips.forget(id));
    this.videoClips = new VideoClips(container, this.scene.layer, () => this.schedule());
    this.overlay = new SelectionOverlay((results) => this.transformCallback(results));
    this.levels = new ImageLevels(
      {
        entries: this.scene.entries,
        batch: this.scene.batch,
        camera: () => this.camera,
        size: () => this.size,
        selection: () => this.selection,
        reorder: () => {
          this.needsOrder = true;
        },
        redraw: () => {
          this.contentDirty = true;
          this.schedule();
        },
        schedule: () => this.schedule(),
      },
      this.dpr,
    );
    this.scene.layer.add(this.grid.shape);
    this.grid.shape.moveToBottom();
    this.stage.add(this.scene.layer, this.overlay.layer);
    this.scene.layer.on("draw", () => {
      this.draws += 1;
    });
  }

  /** The content layer (browser tests read its pixels). */
  get contentLayer(): Konva.Layer {
    return this.scene.layer;
  }

  /** Entries of the culled set by item id (benches and browser tests read what they draw). */
  get entries(): ReadonlyMap<string, Entry> {
    return this.scene.entries;
  }

  /** Draw zoomed-out images from the board's atlas sheets (index at `url`). */
  useAtlas(url: string): void {
    this.levels.useAtlas(url);
  }

  setViewport(camera: Camera, size: Size): void {
    const zoomChanged = camera.zoom !== this.camera.zoom;
    this.cameraMoved = true;
    this.camera = { ...camera };
    let resized = false;
    if (size.width !== this.size.width || size.height !== this.size.height) {
      this.size = { ...size };
      this.slack = slackFor(size, this.deviceRatio);
      this.stage.size(canvasSize(size, this.slack));
      resized = true;
    }
    // Within the slack the drawn canvas still covers the view: move it, draw nothing.
    const shift = this.base && !resized ? slackShift(this.base, camera, this.slack, this.deviceRatio) : null;
    if (shift) {
      this.shift = shift;
      this.schedule();
      return;
    }
    this.base = { ...camera };
    this.shift = { x: 0, y: 0 };
    const at = canvasCamera(camera, this.slack);
    for (const layer of [this.scene.layer, this.overlay.layer]) {
      layer.position({ x: at.panX, y: at.panY });
      layer.scale({ x: at.zoom, y: at.zoom });
    }
    if (zoomChanged) {
      for (const entry of this.scene.entries.values()) scaleDecorations(entry, this.camera.zoom);
      this.levels.zoomed();
    }
    this.needsCull = true;
    this.contentDirty = true;
    // Handles follow the camera: measure them again.
    this.transformDirty = true;
    this.overlayDirty = true;
    this.schedule();
  }

  upsertItem(item: ItemData): void {
    if (this.scene.upsert(item)) this.needsOrder = true;
    this.levels.noteItem(item);
    this.dirty.add(item.id);
    this.needsCull = true;
    this.overlayDirty = true;
    this.schedule();
  }

  removeItem(id: string): void {
    if (this.scene.remove(id)) this.contentDirty = true;
    this.selection.delete(id);
    this.needsCull = true;
    this.overlayDirty = true;
    this.schedule();
  }

  clear(): void {
    this.scene.clear();
    this.contentDirty = true;
    this.overlayDirty = true;
    this.schedule();
  }

  setSelection(ids: ReadonlySet<string>): void {
    this.selection = new Set(ids);
    this.levels.selectionChanged(ids);
    this.needsCull = true;
    this.overlayDirty = true;
    this.schedule();
  }

  setRemoteSelections(selections: ReadonlyMap<string, string>): void {
    this.remoteSelections = new Map(selections);
    this.needsCull = true;
    this.overlayDirty = true;
    this.schedule();
  }

  setMovePreview(ids: readonly string[], dx: number, dy: number): void {
    const prev = this.scene.preview;
    this.scene.preview = ids.length ? { ids: new Set(ids), dx, dy } : null;
    for (const id of new Set([...(prev?.ids ?? []), ...ids])) this.dirty.add(id);
    this.needsCull = true;
    this.overlayDirty = true;
    this.schedule();
  }

  setEditable(editable: boolean): void {
    this.editable = editable;
    this.overlayDirty = true;
    this.schedule();
  }

  onTransformEnd(callback: (results: TransformResult[]) => void): void {
    this.transformCallback = callback;
  }

  isOnHandle(screen: { x: number; y: number }): boolean {
    return this.overlay.isHandle(this.stage.getIntersection(this.canvasPoint(screen)));
  }

  /** A point of the view (screen px) on the stage's canvases (CSS px; tests read pixels there). */
  canvasPoint(screen: Point): Point {
    return screenToCanvas(screen, this.shift, this.slack);
  }

  stats(): RendererStats {
    // While a level choice is still due (zoom debounce, a frame not drawn yet) nothing is
    // settled: what entries want is about to change.
    const choosing = this.levels.choosing || this.needsCull || this.frame !== 0;
    const counts = countImages(this.scene.entries.values(), choosing);
    const loader = this.levels.loader;
    return {
      ...counts,
      fetches: loader.fetches,
      atlasSheets: this.levels.atlasSheets,
      items: this.scene.items.size,
      visible: this.visibleCount,
      nodes: this.scene.entries.size,
      drawnNodes: this.scene.drawnCount(),
      cacheEntries: loader.cache.size,
      cacheBytes: loader.cache.bytes,
      loading: loader.loading,
      draws: this.draws,
      slack: this.slack,
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
    this.levels.destroy();
    this.videoClips.destroy();
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

  /** Runs inside an animation frame (or flush()): draws the layers directly, not a frame later. */
  private render(): void {
    const moved = this.cameraMoved;
    if (this.needsCull) this.cull();
    // Handles follow edited nodes (and a re-centred canvas); otherwise they need no re-measure.
    if (this.dirty.size) this.transformDirty = true;
    this.cameraMoved = false;
    if (this.dirty.size) this.contentDirty = true;
    for (const id of this.dirty) if (this.scene.relayout(id, this.camera.zoom)) this.levels.due = true;
    this.dirty.clear();
    // Levels first: showing a preview level can put a batched image's group back in the layer.
    if (this.levels.due) this.levels.refresh();
    if (this.needsOrder) {
      this.needsOrder = false;
      this.scene.sort();
      this.contentDirty = true;
    }
    const { entries, preview } = this.scene;
    const { selection, remoteSelections, camera, editable } = this;
    const overlayChanged = this.overlayDirty || this.transformDirty;
    this.overlay.sync({ entries, selection, remoteSelections, preview, camera, editable }, this.transformDirty);
    this.transformDirty = false;
    this.overlayDirty = false;
    this.videoClips.sync(entries, selection, camera, this.size);
    if (moved) this.placeStage();
    if (this.contentDirty) {
      this.contentDirty = false;
      this.scene.layer.draw();
    }
    if (overlayChanged) this.overlay.draw();
  }

  /** Move the stage's element by the shift: in the same frame as any redraw, never between. */
  private placeStage(): void {
    const transform = slackTransform(this.shift, this.slack);
    if (transform === this.stageTransform) return;
    this.stageTransform = transform;
    this.stage.content.style.transform = transform;
  }

  private cull(): void {
    this.needsCull = false;
    // The whole canvas is drawn, slack included, from the camera it is drawn for.
    const { keep, draw } = cullRects(canvasCamera(this.base ?? this.camera, this.slack), canvasSize(this.size, this.slack));
    // Never cull the selection: the transformer and outlines need its nodes.
    const pinned = new Set<string>([...this.selection, ...this.remoteSelections.keys()]);
    const outcome = this.scene.cull(keep, draw, pinned, this.camera.zoom);
    this.visibleCount = outcome.visible;
    if (outcome.created) {
      this.needsOrder = true;
      this.levels.due = true;
    }
    if (outcome.reorder) this.needsOrder = true;
    if (outcome.changed) this.contentDirty = true;
  }
}
