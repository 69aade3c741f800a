/**
 * The overlay layer over the content: transform handles (`Konva.Transformer`) on the
 * selection, dashed outlines for selected items the handles do not frame (locked,
 * read-only, or while a move is previewed), and other people's selections in their
 * colours. It reports finished resizes/rotations through `onEnd`; the editor decides.
 *
 * An overlay with nothing on it is not redrawn: a blank full-size canvas is neither
 * cleared nor re-uploaded on every pan frame. It must not change the document.
 */
import Konva from "konva";
import { type Camera, corners } from "../model/geometry";
import type { ItemData } from "../protocol";
import { type Entry, transformResults } from "./entries";
import { type MovePreview, drawsPictureKind } from "./entryNodes";
import type { TransformResult } from "./renderer";

const SELECTION_COLOR = "#4f6bff";
/** Handles for images (their ratio is kept) and for everything else. */
const CORNER_ANCHORS = ["top-left", "top-right", "bottom-left", "bottom-right"];
const ALL_ANCHORS = [...CORNER_ANCHORS, "top-center", "middle-right", "middle-left", "bottom-center"];

/** What the overlay draws, read at each frame. */
export interface OverlayState {
  entries: ReadonlyMap<string, Entry>;
  selection: ReadonlySet<string>;
  remoteSelections: ReadonlyMap<string, string>;
  preview: MovePreview | null;
  camera: Camera;
  editable: boolean;
}

export class SelectionOverlay {
  readonly layer = new Konva.Layer();
  readonly transformer: Konva.Transformer;
  private readonly outlines: Konva.Shape;
  private state: OverlayState | null = null;
  /** Whether the overlay canvas was last drawn empty (then it needs no redraw while it stays so). */
  private blank = false;

  constructor(private readonly onEnd: (results: TransformResult[]) => void) {
    this.outlines = new Konva.Shape({
      listening: false,
      perfectDrawEnabled: false,
      sceneFunc: (ctx) => this.drawOutlines(ctx._context),
    });
    this.transformer = new Konva.Transformer({
      rotateEnabled: true,
      flipEnabled: false,
      keepRatio: true,
      enabledAnchors: CORNER_ANCHORS,
      ignoreStroke: true,
      borderStroke: SELECTION_COLOR,
      anchorStroke: SELECTION_COLOR,
      anchorSize: 9,
      rotateAnchorOffset: 24,
      rotationSnaps: [0, 45, 90, 135, 180, 225, 270, 315],
      rotationSnapTolerance: 4,
      boundBoxFunc: (oldBox, newBox) => (newBox.width < 2 || newBox.height < 2 ? oldBox : newBox),
    });
    this.transformer.on("transformend", () => {
      const results = transformResults(this.transformer.nodes(), this.state?.entries ?? new Map());
      if (results.length) this.onEnd(results);
    });
    this.layer.add(this.outlines, this.transformer);
  }

  /** Whether `shape` (from a stage hit) belongs to the transform handles. */
  isHandle(shape: Konva.Shape | null): boolean {
    if (!this.transformer.visible() || !this.transformer.nodes().length) return false;
    return !!shape && shape.getParent() === this.transformer;
  }

  /**
   * Put the handles on the selection's nodes; `remeasure`: the camera or edited nodes
   * moved, so the handles must be measured again.
   */
  sync(state: OverlayState, remeasure: boolean): void {
    this.state = state;
    const nodes: Konva.Group[] = [];
    // While a move is previewed the handles are detached: the transformer re-measures every
    // attached node on each node change, which made dragging 100 images cost ~50 ms a frame.
    // The dashed outlines (drawOutlines) stand in for it until the drop.
    if (state.editable && !state.preview) {
      for (const id of state.selection) {
        const entry = state.entries.get(id);
        if (entry && !entry.item.locked && !entry.item.hidden) nodes.push(entry.group);
      }
    }
    const current = this.transformer.nodes();
    const same = current.length === nodes.length && current.every((n, i) => n === nodes[i]);
    if (!same) this.transformer.nodes(nodes);
    let allImages = true;
    for (const id of state.selection) {
      if (!drawsPictureKind(state.entries.get(id)?.item.kind)) allImages = false;
    }
    // Set only on a change: any attribute set makes the transformer update and batchDraw
    // its layer, which redrew the (blank) overlay canvas on every pan frame.
    if (this.transformer.keepRatio() !== allImages) {
      this.transformer.keepRatio(allImages);
      this.transformer.enabledAnchors(allImages ? CORNER_ANCHORS : ALL_ANCHORS);
    }
    this.transformer.visible(nodes.length > 0);
    if (nodes.length && (!same || remeasure)) this.transformer.forceUpdate();
  }

  /** Draw the layer, unless it was blank and still is. */
  draw(): void {
    const s = this.state;
    const blank = !this.transformer.visible() && !s?.selection.size && !s?.remoteSelections.size;
    if (!(blank && this.blank)) this.layer.draw();
    // A blank canvas is still blended over the content by the compositor on every frame.
    if (blank !== this.blank) this.layer.getNativeCanvasElement().style.visibility = blank ? "hidden" : "";
    this.blank = blank;
  }

  private drawOutlines(ctx: CanvasRenderingContext2D): void {
    const s = this.state;
    if (!s) return;
    const zoom = s.camera.zoom;
    // Other people's selections, in their colours, under ours.
    ctx.lineWidth = 2 / zoom;
    ctx.setLineDash([]);
    for (const [id, color] of s.remoteSelections) {
      const entry = s.entries.get(id);
      if (!entry || entry.item.hidden) continue;
      ctx.strokeStyle = color;
      ctx.beginPath();
      tracePlacement(ctx, entry.item);
      ctx.stroke();
    }
    // Outlines for selected items the transformer does not frame (locked, read-only).
    if (!s.selection.size) return;
    const transformed = new Set(this.transformer.nodes());
    ctx.lineWidth = 1.5 / zoom;
    ctx.strokeStyle = SELECTION_COLOR;
    ctx.setLineDash([6 / zoom, 4 / zoom]);
    ctx.beginPath();
    for (const id of s.selection) {
      const entry = s.entries.get(id);
      if (!entry || transformed.has(entry.group)) continue;
      const offset = s.preview?.ids.has(id) ? s.preview : null;
      tracePlacement(ctx, offset ? { ...entry.item, x: entry.item.x + offset.dx, y: entry.item.y + offset.dy } : entry.item);
    }
    ctx.stroke();
    ctx.setLineDash([]);
  }
}

function tracePlacement(ctx: CanvasRenderingContext2D, item: ItemData): void {
  const pts = corners(item);
  const first = pts[0];
  if (!first) return;
  ctx.moveTo(first.x, first.y);
  for (const p of pts.slice(1)) ctx.lineTo(p.x, p.y);
  ctx.closePath();
}
