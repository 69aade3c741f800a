/**
 * What the canvas's Export dialog asks the server for, as pure functions: which sources the
 * board offers (the selected images, a frame, a batch's results), which kinds fit a source,
 * and the body of `POST /api/v1/boards/{id}/exports` built from the dialog's choices with
 * the same limits the server checks (canvas/exports/formats: scale 0.05–4, long edge
 * 16–20,000 px, 1–8 columns and rows…), so a typo is said next to the form before a
 * round trip. The server still decides: its refusal sentence is shown as it comes.
 *
 * No DOM here (`exportDialog.ts` draws it); tests in frontend/tests/exportRequest.test.ts.
 */
import type { ItemData } from "../protocol";

export type ExportKind = "psd" | "png" | "tiff16" | "zip" | "pdf" | "video";

export const KINDS: readonly { kind: ExportKind; label: string }[] = [
  { kind: "zip", label: "ZIP package with manifest" },
  { kind: "png", label: "Image: PNG, JPEG or WebP (sRGB)" },
  { kind: "tiff16", label: "16-bit TIFF" },
  { kind: "psd", label: "Layered PSD" },
  { kind: "pdf", label: "Contact sheet PDF" },
  { kind: "video", label: "Video: ProRes 4444 / 422 HQ, H.264 MP4 or PNG sequence" },
];

export const DEFAULT_TEMPLATE = "{campaign}_{variant}_{seed}_{w}x{h}";

export type Source =
  | { type: "items"; ids: string[]; label: string; /** how many are video clips */ clips?: number }
  | { type: "frame"; id: string; label: string }
  | { type: "batch"; id: string; label: string };

export interface BatchInfo {
  id: string;
  name: string;
}

/** A source's key for a `<select>` value ("items", "frame:<id>", "batch:<id>"). */
export function sourceKey(source: Source): string {
  return source.type === "items" ? "items" : `${source.type}:${source.id}`;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * What can be exported, best guess first: the selected images, then the selected frames,
 * the board's other frames (by name) and the board's batches (newest first, as given).
 */
export function exportSources(items: Iterable<ItemData>, selection: ReadonlySet<string>, batches: readonly BatchInfo[] = []): Source[] {
  const all = [...items];
  const images = all.filter((i) => selection.has(i.id) && i.kind === "image" && i.asset);
  const clips = all.filter((i) => selection.has(i.id) && i.kind === "video");
  const frames = all.filter((i) => i.kind === "frame");
  const selectedFrames = frames.filter((f) => selection.has(f.id));
  const otherFrames = frames.filter((f) => !selection.has(f.id)).sort((a, b) => (a.name || "").localeCompare(b.name || ""));
  const out: Source[] = [];
  if (images.length || clips.length) {
    const what = [images.length ? plural(images.length, "image", "images") : "", clips.length ? plural(clips.length, "clip", "clips") : ""].filter(Boolean).join(" and ");
    out.push({ type: "items", ids: [...images, ...clips].map((i) => i.id), label: `The selection: ${what}`, ...(clips.length ? { clips: clips.length } : {}) });
  }
  for (const f of [...selectedFrames, ...otherFrames]) out.push({ type: "frame", id: f.id, label: `Frame “${f.name || "Untitled frame"}”` });
  for (const b of batches) out.push({ type: "batch", id: b.id, label: `Batch “${b.name}”` });
  return out;
}

/** Why a kind does not fit a source (shown as the option's hint), or null when it does. */
export function kindUnavailable(kind: ExportKind, source: Source | undefined): string | null {
  if (!source) return "Select images or draw a frame first.";
  if (kind === "psd" && source.type === "batch") return "A layered PSD is made of a frame or selected images, not a batch.";
  if ((kind === "png" || kind === "tiff16") && source.type === "items" && source.ids.length > 1) {
    return "One image per file: export several as a ZIP package.";
  }
  if (kind === "tiff16" && source.type === "batch") return "Export a batch as a ZIP, a contact sheet or one PNG.";
  if (kind === "video" && source.type === "items" && !source.clips) return "Select video clips to export them as video.";
  if (kind !== "video" && kind !== "zip" && source.type === "items" && source.clips && source.clips === source.ids.length) {
    return "Clips export as video or in a ZIP package.";
  }
  return null;
}

/** The first kind that fits the source, keeping `current` when it still does. */
export function fittingKind(current: ExportKind, source: Source | undefined): ExportKind {
  if (!kindUnavailable(current, source)) return current;
  return KINDS.find((k) => !kindUnavailable(k.kind, source))?.kind ?? current;
}

export interface DialogChoices {
  kind: ExportKind;
  source: Source | undefined;
  /** psd */
  depth: "8" | "16";
  /** png: the file format of the delivery image */
  format: "png" | "jpeg" | "webp";
  /** png / tiff16 */
  size: "original" | "scale" | "long_edge";
  scale: string;
  longEdge: string;
  compression: "deflate" | "lzw";
  /** png / zip: Content Credentials, "" = the server's default (signed when it can) */
  credentials: "" | "on" | "off";
  /** zip */
  template: string;
  sidecars: boolean;
  /** video: ProRes 4444 (alpha kept), ProRes 422 HQ, H.264 MP4, PNG sequence in a zip */
  videoFormat: "prores_4444" | "prores_422_hq" | "mp4" | "png_zip";
  /** pdf */
  columns: string;
  rows: string;
  paper: "a4" | "letter";
  /** batch sources: every result rather than the approved ones */
  allResults: boolean;
}

export function defaultChoices(source: Source | undefined): DialogChoices {
  return {
    kind: fittingKind("zip", source),
    source,
    depth: "8",
    format: "png",
    size: "original",
    scale: "1",
    longEdge: "2048",
    compression: "deflate",
    credentials: "",
    template: DEFAULT_TEMPLATE,
    sidecars: true,
    videoFormat: "prores_4444",
    columns: "3",
    rows: "2",
    paper: "a4",
    allResults: false,
  };
}

export interface ExportBody {
  kind: ExportKind;
  items?: string[];
  frame?: string;
  batch?: string;
  /** A job: its region's history as a layered PSD (the History panel). */
  job?: string;
  options: Record<string, unknown>;
}

/** The body asking for a region's history (the job's region, every result made for it). */
export function historyPsdRequest(jobId: string): ExportBody {
  return { kind: "psd", job: jobId, options: {} };
}

/** A problem with one field: the field's name (to mark and focus it) and the sentence. */
export interface FieldProblem {
  field: string;
  message: string;
}

function wholeIn(text: string, low: number, high: number): number | null {
  const n = Number(text.trim());
  return text.trim() !== "" && Number.isInteger(n) && n >= low && n <= high ? n : null;
}

/** Whether the chosen kind and format can carry Content Credentials (PNG, JPEG, a ZIP's). */
export function signable(c: Pick<DialogChoices, "kind" | "format">): boolean {
  return c.kind === "zip" || (c.kind === "png" && c.format !== "webp");
}

/** The request body, or the first field the server would refuse, said the server's way. */
export function buildRequest(c: DialogChoices): { body: ExportBody } | { problem: FieldProblem } {
  const source = c.source;
  if (!source) return { problem: { field: "source", message: "Nothing to export: select images, draw a frame, or run a batch first." } };
  const why = kindUnavailable(c.kind, source);
  if (why) return { problem: { field: "kind", message: why } };
  const options: Record<string, unknown> = {};
  if (c.kind === "psd") options.depth = Number(c.depth);
  if (c.kind === "png" || c.kind === "tiff16") {
    if (c.size === "scale") {
      const scale = Number(c.scale.trim());
      if (c.scale.trim() === "" || !Number.isFinite(scale) || scale < 0.05 || scale > 4) {
        return { problem: { field: "scale", message: "Scale must be a number from 0.05 to 4." } };
      }
      options.scale = scale;
    } else if (c.size === "long_edge") {
      const edge = wholeIn(c.longEdge, 16, 20000);
      if (edge === null) return { problem: { field: "longEdge", message: "The long edge must be a whole number of pixels from 16 to 20000." } };
      options.long_edge = edge;
    }
    if (c.kind === "tiff16" && c.compression !== "deflate") options.compression = c.compression;
    if (c.kind === "png" && c.format !== "png") options.format = c.format;
  }
  if (c.kind === "video") options.format = c.videoFormat;
  if (c.kind === "zip") {
    const template = c.template.trim() || DEFAULT_TEMPLATE;
    if (template !== DEFAULT_TEMPLATE) options.template = template;
    if (!c.sidecars) options.sidecars = false;
  }
  if (signable(c) && c.credentials) options.content_credentials = c.credentials === "on";
  if (c.kind === "pdf") {
    for (const key of ["columns", "rows"] as const) {
      const n = wholeIn(c[key], 1, 8);
      if (n === null) return { problem: { field: key, message: `${key === "columns" ? "Columns" : "Rows"} must be a whole number from 1 to 8.` } };
      options[key] = n;
    }
    options.paper = c.paper;
  }
  if (source.type === "batch" && c.allResults) options.results = "all";
  const body: ExportBody = { kind: c.kind, options };
  if (source.type === "items") body.items = source.ids;
  else if (source.type === "frame") body.frame = source.id;
  else body.batch = source.id;
  return { body };
}
