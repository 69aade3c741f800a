import type { Renderer, RendererStats, TransformResult } from "../src/render/renderer";
import type { ItemData } from "../src/protocol";

/** Records what the editor asks a renderer to do. */
export class FakeRenderer implements Renderer {
  items = new Map<string, ItemData>();
  selection = new Set<string>();
  editable = true;
  transformEnd: (r: TransformResult[]) => void = () => {};
  setViewport() {}
  upsertItem(item: ItemData) {
    this.items.set(item.id, item);
  }
  removeItem(id: string) {
    this.items.delete(id);
  }
  clear() {
    this.items.clear();
  }
  setSelection(ids: ReadonlySet<string>) {
    this.selection = new Set(ids);
  }
  setMovePreview() {}
  setRemoteSelections() {}
  setEditable(e: boolean) {
    this.editable = e;
  }
  onTransformEnd(cb: (r: TransformResult[]) => void) {
    this.transformEnd = cb;
  }
  isOnHandle() {
    return false;
  }
  stats(): RendererStats {
    return {
      items: this.items.size,
      visible: 0,
      nodes: 0,
      drawnNodes: 0,
      cacheEntries: 0,
      cacheBytes: 0,
      loading: 0,
      draws: 0,
      slack: 0,
      images: 0,
      imagesDrawn: 0,
      imagesSettled: 0,
      fromAtlas: 0,
      fetches: 0,
      atlasSheets: 0,
    };
  }
  destroy() {}
}
