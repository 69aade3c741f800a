/**
 * Fetches and decodes image levels into ImageBitmaps, a few at a time, into a bounded LRU
 * cache. Bitmaps that a visible node draws are pinned so eviction never closes them.
 * Queued requests start in priority order (lower first: the renderer passes atlas sheets
 * first, then images by their distance from the middle of the view), so what is on screen
 * loads before the margin.
 *
 * It knows URLs and bitmaps only, not items or Konva.
 */
import { LruCache } from "../model/lruCache";

const MAX_CONCURRENT = 6;

export function thumbKey(url: string, edge: number): string {
  return `${url}#thumb${edge}`;
}
const RETRY_AFTER_MS = 10_000;

export class ImageLoader {
  readonly cache: LruCache<ImageBitmap>;
  private readonly inFlight = new Map<string, ((bmp: ImageBitmap | null) => void)[]>();
  /** Queued (not started) URLs → priority, lower first. */
  private readonly queue = new Map<string, number>();
  private active = 0;
  /** Network fetches started since the page opened (for measuring). */
  fetches = 0;
  /** url → time of failure; retried after RETRY_AFTER_MS (levels may still be generating). */
  private readonly failed = new Map<string, number>();

  constructor(
    private readonly isPinned: (url: string) => boolean,
    maxBytes = 384 * 1024 * 1024,
    maxEntries = 1500,
  ) {
    this.cache = new LruCache<ImageBitmap>({
      maxEntries,
      maxBytes,
      sizeOf: (b) => b.width * b.height * 4,
      dispose: (b) => b.close(),
      isPinned: (url) => this.isPinned(url),
    });
  }

  get loading(): number {
    return this.active + this.queue.size;
  }

  get(url: string): ImageBitmap | undefined {
    return this.cache.get(url);
  }

  /**
   * Ask for `url`; `done` gets the bitmap (or null if it failed) once decoded. `priority`:
   * lower starts sooner; asking again for a queued URL can only raise its priority.
   */
  request(url: string, done: (bmp: ImageBitmap | null) => void, priority = 0): void {
    const cached = this.cache.get(url);
    if (cached) {
      done(cached);
      return;
    }
    const failedAt = this.failed.get(url);
    if (failedAt !== undefined && performance.now() - failedAt < RETRY_AFTER_MS) {
      done(null);
      return;
    }
    const waiting = this.inFlight.get(url);
    if (waiting) {
      waiting.push(done);
      const queued = this.queue.get(url);
      if (queued !== undefined && priority < queued) this.queue.set(url, priority);
      return;
    }
    this.inFlight.set(url, [done]);
    this.queue.set(url, priority);
    this.pump();
  }

  /**
   * A small copy (long edge `edge` px) of `url`, made in the browser from the decoded
   * level. Drawing thousands of 20-px images from 256-px sources is dominated by
   * filtering; tiny sources make a zoomed-out board cheap to draw (a client-side mip).
   */
  requestThumb(url: string, edge: number, done: (bmp: ImageBitmap | null) => void, priority = 0): void {
    const key = thumbKey(url, edge);
    const cached = this.cache.get(key);
    if (cached) {
      done(cached);
      return;
    }
    this.request(url, (source) => {
      if (!source) {
        done(null);
        return;
      }
      const scale = Math.min(1, edge / Math.max(source.width, source.height));
      const width = Math.max(1, Math.round(source.width * scale));
      const height = Math.max(1, Math.round(source.height * scale));
      createImageBitmap(source, { resizeWidth: width, resizeHeight: height, resizeQuality: "medium" }).then(
        (thumb) => {
          this.cache.set(key, thumb);
          done(thumb);
        },
        () => done(source),
      );
    }, priority);
  }

  /** Drop queued (not yet started) requests nobody needs any more. */
  prune(stillWanted: (url: string) => boolean): void {
    for (const url of [...this.queue.keys()]) {
      if (!stillWanted(url)) {
        this.queue.delete(url);
        this.inFlight.delete(url);
      }
    }
  }

  /** Re-apply the budget after pins changed. */
  evict(): void {
    this.cache.evict();
  }

  private pump(): void {
    while (this.active < MAX_CONCURRENT && this.queue.size) {
      const url = this.next();
      this.queue.delete(url);
      this.active += 1;
      void this.load(url).finally(() => {
        this.active -= 1;
        this.pump();
      });
    }
  }

  /** The queued URL with the lowest priority (first asked among equals). */
  private next(): string {
    let best = "";
    let bestPriority = Infinity;
    for (const [url, priority] of this.queue) {
      if (priority < bestPriority) {
        best = url;
        bestPriority = priority;
      }
    }
    return best;
  }

  private async load(url: string): Promise<void> {
    let bmp: ImageBitmap | null = null;
    this.fetches += 1;
    try {
      const res = await fetch(url, { credentials: "same-origin" });
      if (!res.ok) throw new Error(String(res.status));
      bmp = await createImageBitmap(await res.blob());
      this.cache.set(url, bmp);
    } catch {
      this.failed.set(url, performance.now());
    }
    const waiting = this.inFlight.get(url) ?? [];
    this.inFlight.delete(url);
    for (const done of waiting) done(bmp && this.cache.has(url) ? bmp : null);
  }
}
