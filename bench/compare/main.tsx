/**
 * The tldraw side of bench/compare_bench.py: the same images in the same grid as the
 * Anchorboard bench board, in an in-memory tldraw editor with its default UI. Geometry
 * comes from the query string (n, cols, size, pitch, zoom, cx, cy, fit) so the bench script
 * is the one place that defines the scene. Images are served by the bench at
 * /img/tile-<i>.jpg.
 *
 * It exposes `window.__tl` (the editor) and `window.__tlImages()` (how many image shapes
 * are on show and how many of them have decoded pixels) for the measurement.
 */
import { createRoot } from "react-dom/client";
import { AssetRecordType, type Editor, Tldraw, type TLAsset, type TLImageShape, type TLShapePartial, createShapeId } from "tldraw";
import "tldraw/tldraw.css";

const q = new URLSearchParams(location.search);
const num = (key: string, fallback: number) => Number(q.get(key) ?? fallback);
const N = num("n", 2000);
const COLS = num("cols", 50);
const SIZE = num("size", 256);
const PITCH = num("pitch", 272);
const ZOOM = num("zoom", 0.25);
const FIT = q.get("fit") === "1";
const CX = num("cx", 0);
const CY = num("cy", 0);

declare global {
  interface Window {
    __tl?: Editor;
    __tlImages?: () => { shapes: number; shown: number; drawn: number };
  }
}

function onMount(editor: Editor): void {
  const assets: TLAsset[] = [];
  const shapes: TLShapePartial<TLImageShape>[] = [];
  const rows = Math.ceil(N / COLS);
  for (let i = 0; i < N; i++) {
    const assetId = AssetRecordType.createId(`tile${i}`);
    assets.push(
      AssetRecordType.create({
        id: assetId,
        type: "image",
        props: { name: `tile-${i}.jpg`, src: `/img/tile-${i}.jpg`, w: SIZE, h: SIZE, mimeType: "image/jpeg", isAnimated: false },
      }),
    );
    // Centred on the page origin, like the Anchorboard bench board.
    const col = i % COLS;
    const row = Math.floor(i / COLS);
    shapes.push({
      id: createShapeId(`s${i}`),
      type: "image" as const,
      x: (col - COLS / 2) * PITCH,
      y: (row - rows / 2) * PITCH,
      props: { assetId, w: SIZE, h: SIZE },
    });
  }
  editor.run(() => {
    editor.createAssets(assets);
    editor.createShapes<TLImageShape>(shapes);
  });
  editor.setCameraOptions({ zoomSteps: [0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8] });
  if (FIT) editor.zoomToFit();
  else {
    const { w, h } = editor.getViewportScreenBounds();
    editor.setCamera({ x: w / 2 / ZOOM - CX, y: h / 2 / ZOOM - CY, z: ZOOM });
  }
  editor.focus();
  window.__tl = editor;
  window.__tlImages = () => {
    // Culled shapes stay in the DOM with display: none; count the ones on show.
    const shown = [...document.querySelectorAll<HTMLElement>('.tl-shape[data-shape-type="image"]')].filter((el) => el.style.display !== "none");
    const drawn = shown.filter((el) => [...el.querySelectorAll<HTMLImageElement>("img.tl-image")].some((img) => img.complete && img.naturalWidth > 0));
    return { shapes: editor.getCurrentPageShapeIds().size, shown: shown.length, drawn: drawn.length };
  };
}

createRoot(document.getElementById("root") as HTMLElement).render(<Tldraw onMount={onMount} />);
