/**
 * The renderer contract. The editor drives a renderer imperatively from the document
 * model; a renderer draws, it never decides. Swapping Konva for another engine (e.g. a
 * PixiJS image layer) means implementing this interface and nothing else.
 */
import type { Camera, Size } from "../model/geometry";
import type { ItemData } from "../protocol";

export interface RendererStats {
  /** Items the renderer knows about. */
  items: number;
  /** Items in the culled visible set (viewport + margin, plus the selection). */
  visible: number;
  /** Scene nodes currently alive. */
  nodes: number;
  /** Of those, the nodes drawn (on screen or selected); the rest are kept hidden, ready for a pan. */
  drawnNodes: number;
  /** Decoded bitmaps held in the LRU cache and their bytes. */
  cacheEntries: number;
  cacheBytes: number;
  /** Image fetches/decodes in flight. */
  loading: number;
  /** Content layer draws since start (for measuring; a pan within the slack draws none). */
  draws: number;
  /** CSS px the canvas extends past the view on each side (0: every pan redraws). */
  slack: number;
  /** Shown image items with nodes (the culled set), and how many of them draw pixels. */
  images: number;
  imagesDrawn: number;
  /**
   * … draw at the resolution the zoom needs (not a stand-in of a lower one); 0 while the
   * renderer still has a level choice to make (zoom debounce, a frame not drawn yet).
   */
  imagesSettled: number;
  /** … draw their cell of an atlas sheet. */
  fromAtlas: number;
  /** Image and sheet fetches started since the page opened. */
  fetches: number;
  /** Sheets in the board's atlas index (0: none loaded). */
  atlasSheets: number;
}

export interface TransformResult {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
  rotation: number;
}

export interface Renderer {
  /** Camera and view size; the stage may be larger (a pan slack), the view is what shows. */
  setViewport(camera: Camera, size: Size): void;
  upsertItem(item: ItemData): void;
  removeItem(id: string): void;
  /** Remove everything (before a snapshot is loaded). */
  clear(): void;
  setSelection(ids: ReadonlySet<string>): void;
  /** Other people's selections: item id → their presence colour (outlined, never culled). */
  setRemoteSelections(selections: ReadonlyMap<string, string>): void;
  /** Temporarily offset items while a move gesture is in progress (no document change). */
  setMovePreview(ids: readonly string[], dx: number, dy: number): void;
  /** Whether transform handles are shown for the selection. */
  setEditable(editable: boolean): void;
  /** Called when the user finishes a resize/rotate with the transform handles. */
  onTransformEnd(callback: (results: TransformResult[]) => void): void;
  /** True when a screen point is on a transform handle (so tools leave the gesture to it). */
  isOnHandle(screen: { x: number; y: number }): boolean;
  stats(): RendererStats;
  destroy(): void;
}
