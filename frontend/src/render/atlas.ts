/**
 * The board's atlas: many tiny thumbnails packed into a few WebP sheets by the server
 * (docs/assets.md "Atlas sheets"), so a zoomed-out board is a handful of requests instead
 * of one per image. This module reads the index (which sheet and rectangle shows each
 * asset) and re-reads it when the board gained images the index does not know yet; the
 * renderer decides when to draw from a sheet. It knows URLs and rectangles only, not
 * items, bitmaps or Konva.
 */

export interface AtlasIndex {
  cell: number;
  /** False while the server is still rebuilding: ask again a little later. */
  complete: boolean;
  sheets: { url: string; width: number; height: number }[];
  /** asset id → [sheet, x, y, width, height] in sheet pixels. */
  assets: Record<string, [number, number, number, number, number]>;
}

export interface AtlasSpot {
  url: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Where an asset's thumbnail is, if the index has it. Pure. */
export function atlasSpot(index: AtlasIndex | null, assetId: string): AtlasSpot | undefined {
  const entry = index?.assets[assetId];
  if (!entry) return undefined;
  const [sheet, x, y, width, height] = entry;
  const url = index.sheets[sheet]?.url;
  return url ? { url, x, y, width, height } : undefined;
}

/** Re-read the index this long after the board gained an image it does not cover. */
const REFRESH_AFTER_MS = 2_000;
/** While the server says the index is incomplete, ask again this often, this many times. */
const POLL_INCOMPLETE_MS = 3_000;
const MAX_POLLS = 40;
/**
 * Until the first read of the index answers, zoomed-out images wait for it rather than
 * fetch one thumbnail each (a cold open would otherwise race the index and make hundreds
 * of requests); after this long they stop waiting.
 */
export const FIRST_READ_WAIT_MS = 4_000;

export class BoardAtlasIndex {
  private index: AtlasIndex | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private polls = 0;
  private loading = false;
  private firstRead = false;
  private waitTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly url: string,
    private readonly onChange: () => void,
    private readonly fetchJson: (url: string) => Promise<AtlasIndex> = fetchIndex,
  ) {}

  /** The thumbnail of `assetId`, once the index is loaded and has it. */
  spot(assetId: string): AtlasSpot | undefined {
    return atlasSpot(this.index, assetId);
  }

  /** True once the first read answered (or failed, or took too long): images stop waiting. */
  get ready(): boolean {
    return this.firstRead;
  }

  get sheets(): number {
    return this.index?.sheets.length ?? 0;
  }

  /** The first `max` sheets' URLs (what the renderer fetches as soon as the index is in). */
  sheetUrls(max: number): string[] {
    return (this.index?.sheets ?? []).slice(0, max).map((sheet) => sheet.url);
  }

  /** Read the index now (the renderer calls this once at start). */
  async load(): Promise<void> {
    if (this.loading) return;
    this.loading = true;
    if (!this.firstRead && this.waitTimer === null) {
      this.waitTimer = setTimeout(() => this.markRead(), FIRST_READ_WAIT_MS);
    }
    try {
      const next = await this.fetchJson(this.url);
      const changed = JSON.stringify(next) !== JSON.stringify(this.index);
      this.index = next;
      const waited = !this.firstRead;
      this.markRead(false);
      if (changed || waited) this.onChange();
      if (!next.complete && this.polls < MAX_POLLS) {
        this.polls += 1;
        this.later(POLL_INCOMPLETE_MS);
      } else if (next.complete) {
        this.polls = 0;
      }
    } catch {
      // No atlas (an old server, a revoked link): images load one by one, as before.
    } finally {
      this.loading = false;
      this.markRead();
    }
  }

  /** An image the index does not cover appeared: re-read it soon (debounced). */
  missing(): void {
    if (this.timer === null) this.later(REFRESH_AFTER_MS);
  }

  destroy(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.waitTimer !== null) clearTimeout(this.waitTimer);
    this.timer = null;
    this.waitTimer = null;
  }

  /** The first read is over: waiting images choose again (through `onChange`). */
  private markRead(notify = true): void {
    if (this.waitTimer !== null) clearTimeout(this.waitTimer);
    this.waitTimer = null;
    if (this.firstRead) return;
    this.firstRead = true;
    if (notify) this.onChange();
  }

  private later(ms: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.load();
    }, ms);
  }
}

async function fetchIndex(url: string): Promise<AtlasIndex> {
  // `no-cache`: revalidated each time (a 304 by ETag when nothing changed).
  const res = await fetch(url, { credentials: "same-origin", cache: "no-cache" });
  if (!res.ok) throw new Error(String(res.status));
  return (await res.json()) as AtlasIndex;
}
