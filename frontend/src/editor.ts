/**
 * The editor: the one object that ties the board document, selection, camera, undo
 * history, renderer and realtime connection together. Tools and panels call its methods
 * ("run this named action", "select these", "zoom to fit"); it applies edits
 * optimistically, sends them, and records them for undo. Remote batches reach the
 * document through SyncState and never touch the history.
 *
 * It must not build DOM or know about pointer events; that is ui/ and tools/.
 */
import type { Action } from "./model/actions";
import { setProps, transformItems } from "./model/actions";
import type { BoardDocument } from "./model/document";
import {
  type Camera,
  type Point,
  type Rect,
  type Size,
  clampZoom,
  fitRect,
  screenToBoard,
  zoomAt,
} from "./model/geometry";
import { History, type SideEffect } from "./model/history";
import { SceneIndex } from "./model/sceneIndex";
import { MAX_OPS_PER_BATCH, MAX_PROPS_BYTES, type Operation } from "./protocol";
import type { Renderer, TransformResult } from "./render/renderer";
import type { SyncState } from "./realtime/sync";

/** Budget per batch frame, under the server's 256 KiB limit with room for the envelope. */
export const MAX_BATCH_BYTES = 200 * 1024;
/** A single operation larger than this could never be sent. */
export const MAX_OP_BYTES = MAX_BATCH_BYTES;

/** Split operations into batches of ≤ 500 ops and ≤ MAX_BATCH_BYTES of JSON each. */
export function splitBatches(ops: readonly Operation[]): Operation[][] {
  const out: Operation[][] = [];
  let current: Operation[] = [];
  let bytes = 0;
  for (const op of ops) {
    const size = utf8Length(JSON.stringify(op)) + 1;
    if (current.length && (current.length >= MAX_OPS_PER_BATCH || bytes + size > MAX_BATCH_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(op);
    bytes += size;
  }
  if (current.length) out.push(current);
  return out;
}

/** Why these operations can never be accepted by the server, or null. Checked before applying. */
export function tooLarge(ops: readonly Operation[]): string | null {
  for (const op of ops) {
    const props = op.op === "create" ? op.item.props : op.op === "update" ? op.set.props : undefined;
    if (props !== undefined && utf8Length(JSON.stringify(props)) > MAX_PROPS_BYTES) {
      return "the text is too long to save (keep notes under about 16,000 characters).";
    }
    if (utf8Length(JSON.stringify(op)) > MAX_OP_BYTES) return "this change is too large to save.";
  }
  return null;
}

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

export type ToolName = "select" | "hand" | "zoom" | "frame" | "text";

export type EditorEvent =
  | "selection"
  | "camera"
  | "document"
  | "tool"
  | "history"
  | "editable"
  | "notice";

export interface Notice {
  kind: "info" | "error";
  text: string;
}

/** Sends op batches; implemented by the realtime connection (or a test double). */
export interface OpsSink {
  flush(): void;
}

export class Editor {
  readonly doc: BoardDocument;
  readonly scene: SceneIndex;
  readonly history: History;
  camera: Camera = { panX: 0, panY: 0, zoom: 1 };
  viewport: Size = { width: 1, height: 1 };
  selection = new Set<string>();
  tool: ToolName = "select";
  lastNotice: Notice | null = null;
  private listeners = new Map<EditorEvent, Set<() => void>>();
  private sink: OpsSink = { flush: () => {} };

  constructor(
    readonly sync: SyncState,
    readonly renderer: Renderer,
    private editable: boolean,
  ) {
    this.doc = sync.visible;
    this.scene = new SceneIndex(this.doc);
    this.history = new History(this.doc);
    this.renderer.setEditable(editable);
    this.doc.subscribe((change) => {
      if (change.reset) {
        this.renderer.clear();
        for (const item of this.doc.ordered()) this.renderer.upsertItem(item);
      } else {
        for (const id of change.removed) this.renderer.removeItem(id);
        for (const id of change.upserted) {
          const item = this.doc.get(id);
          if (item) this.renderer.upsertItem(item);
        }
      }
      // Drop selected ids that no longer exist (deleted here or by someone else).
      let pruned = false;
      for (const id of this.selection) {
        if (!this.doc.has(id)) {
          this.selection.delete(id);
          pruned = true;
        }
      }
      if (pruned) this.selectionChanged();
      this.emit("document");
    });
    this.renderer.onTransformEnd((results) => this.applyTransform(results));
  }

  get canEdit(): boolean {
    return this.editable;
  }

  setEditable(editable: boolean): void {
    this.editable = editable;
    this.renderer.setEditable(editable);
    if (!editable && !["select", "hand", "zoom"].includes(this.tool)) this.setTool("select");
    this.emit("editable");
  }

  connect(sink: OpsSink): void {
    this.sink = sink;
  }

  on(event: EditorEvent, fn: () => void): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(fn);
    return () => set.delete(fn);
  }

  emit(event: EditorEvent): void {
    for (const fn of this.listeners.get(event) ?? []) fn();
  }

  notify(kind: Notice["kind"], text: string): void {
    this.lastNotice = { kind, text };
    this.emit("notice");
  }

  // --- edits --------------------------------------------------------------------------

  /**
   * Apply a named action locally, send it, and record it for undo. Returns false (and does
   * nothing) for viewers or empty actions, so read-only mode can never send an edit.
   */
  run(action: Action): boolean {
    if (!this.editable || !action.ops.length) return false;
    const problem = tooLarge(action.ops);
    if (problem) {
      this.notify("error", `${action.name}: ${problem}`);
      return false;
    }
    const { batchIds, inverse } = this.commitOps(action.ops);
    this.history.record({ name: action.name, forward: action.ops, inverse, batchIds });
    this.emit("history");
    return true;
  }

  /**
   * Record an action the server carried out at this user's request (applying, discarding or
   * restoring a job result, jobs/resultActions.ts) so it undoes and redoes like a local edit.
   */
  recordServerAction(name: string, effects: SideEffect[]): void {
    if (!this.editable || !effects.length) return;
    this.history.record({ name, forward: [], inverse: [], effects });
    this.emit("history");
  }

  undo(): void {
    if (!this.editable) return;
    const name = this.history.undo((ops) => this.commitOps(ops).batchIds);
    if (name) this.notify("info", `Undo ${name}`);
    this.emit("history");
  }

  redo(): void {
    if (!this.editable) return;
    const name = this.history.redo((ops) => this.commitOps(ops).batchIds);
    if (name) this.notify("info", `Redo ${name}`);
    this.emit("history");
  }

  /** The server refused a batch (already rolled back by SyncState). */
  batchRejected(batchId: string, message: string): void {
    this.history.dropBatch(batchId);
    this.notify("error", message);
    this.emit("history");
  }

  private commitOps(ops: Operation[]): { batchIds: string[]; inverse: Operation[] } {
    const batchIds: string[] = [];
    const inverse: Operation[] = [];
    for (const chunk of splitBatches(ops)) {
      const result = this.sync.local(chunk);
      batchIds.push(result.batch.batchId);
      inverse.unshift(...result.inverse);
    }
    this.sink.flush();
    return { batchIds, inverse };
  }

  private applyTransform(results: TransformResult[]): void {
    const patches = new Map<string, { x: number; y: number; width: number; height: number; rotation: number }>();
    for (const r of results) {
      patches.set(r.id, { x: r.x, y: r.y, width: r.width, height: r.height, rotation: r.rotation });
    }
    const rotated = results.some((r) => this.doc.get(r.id)?.rotation !== r.rotation);
    if (!this.run(transformItems(patches, rotated ? "Rotate" : "Resize"))) {
      // Nothing was sent (read-only or no change): redraw from the model.
      for (const r of results) {
        const item = this.doc.get(r.id);
        if (item) this.renderer.upsertItem(item);
      }
    }
  }

  setSelectedProps(patch: Parameters<typeof setProps>[2], name: string): void {
    this.run(setProps(this.doc, this.selection, patch, name));
  }

  // --- selection ------------------------------------------------------------------------

  select(ids: Iterable<string>): void {
    this.selection = new Set([...ids].filter((id) => this.doc.has(id)));
    this.selectionChanged();
  }

  toggleSelected(id: string): void {
    const next = new Set(this.selection);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    this.select(next);
  }

  private selectionChanged(): void {
    this.renderer.setSelection(this.selection);
    this.emit("selection");
  }

  // --- camera ---------------------------------------------------------------------------

  setViewportSize(size: Size): void {
    this.viewport = size;
    this.setCamera(this.camera);
  }

  setCamera(camera: Camera): void {
    this.camera = { ...camera, zoom: clampZoom(camera.zoom) };
    this.renderer.setViewport(this.camera, this.viewport);
    this.emit("camera");
  }

  toBoard(screen: Point): Point {
    return screenToBoard(this.camera, screen);
  }

  zoomToCursor(screen: Point, zoom: number): void {
    this.setCamera(zoomAt(this.camera, screen, zoom));
  }

  /** Centre-anchored zoom (keyboard shortcuts, readout). */
  zoomTo(zoom: number): void {
    this.zoomToCursor({ x: this.viewport.width / 2, y: this.viewport.height / 2 }, zoom);
  }

  zoomToRect(rect: Rect | null, maxZoom = 1): void {
    if (!rect) return;
    this.setCamera(fitRect(rect, this.viewport, 48, maxZoom));
  }

  zoomToFit(): void {
    this.zoomToRect(this.scene.contentBounds());
  }

  zoomToSelection(): void {
    this.zoomToRect(this.scene.boundsOf(this.selection), 8);
  }

  setTool(tool: ToolName): void {
    if (!this.editable && !["select", "hand", "zoom"].includes(tool)) return;
    this.tool = tool;
    this.emit("tool");
  }
}
