/**
 * Video items playing on the canvas (docs/video.md "On the canvas"). A video item is drawn
 * from its poster like an image (konvaRenderer); this module swaps an HTMLVideoElement into
 * its Konva.Image while the clip is hovered or selected, and plays it muted. Only playing
 * clips redraw: one rAF loop runs while at least one plays and stops with the last, so an
 * idle board costs nothing. A clip off screen pauses.
 *
 * Under a single selected clip it shows a scrub bar (a range input: drag, arrow keys a frame,
 * Shift+arrows a second, Home/End; aria-valuenow in seconds) and the clip's temporal-drift
 * curve (render/driftCurve.ts), the worst second highlighted and the flag in words.
 * Comments pinned to a moment of the clip show as markers on the scrub bar (`setMarkers`,
 * from ui/commentsPanel); clicking one, or the comment's time, seeks there (`seekTo`).
 * It never edits the document; scrubbing pauses the clip until Play.
 */
import type Konva from "konva";
import { type Camera, type Size, boardToScreen, corners, placementBounds, placementContainsPoint, rectsIntersect, screenToBoard, visibleBoardRect } from "../model/geometry";
import type { ItemData } from "../protocol";
import { h, setHidden, setStyles } from "../ui/dom";
import { clipMomentText, clipTimeText, clipUrl, driftCurve, driftOf, driftWords } from "./driftCurve";
import type { Entry } from "./entries";
import "./videoClips.css";

const SVG = "http://www.w3.org/2000/svg";
const CURVE_HEIGHT = 28;

interface Clip {
  id: string;
  video: HTMLVideoElement;
  /** What the node drew before the clip took over (the poster), put back on release. */
  poster: CanvasImageSource | undefined;
  /** Scrubbed or paused by the person: stays paused until Play or deselection. */
  held: boolean;
}

/** A comment pinned to a moment of a clip. */
export interface ClipMarker {
  id: string;
  time: number;
}

export interface ClipState {
  id: string;
  currentTime: number;
  readyState: number;
  paused: boolean;
  drawing: boolean;
}

export class VideoClips {
  private readonly clips = new Map<string, Clip>();
  private hover: string | null = null;
  private loop = 0;
  private entries: ReadonlyMap<string, Entry> = new Map();
  private camera: Camera = { panX: 0, panY: 0, zoom: 1 };
  private barFor: string | null = null;
  readonly bar: HTMLDivElement;
  private readonly playButton: HTMLButtonElement;
  private readonly scrub: HTMLInputElement;
  private readonly time: HTMLSpanElement;
  private readonly curve: SVGSVGElement;
  private readonly flag: HTMLParagraphElement;
  private readonly worst: HTMLParagraphElement;
  private readonly markersEl: HTMLDivElement;
  private markers: ReadonlyMap<string, ClipMarker[]> = new Map();
  private markersShown = "";
  /** Seeks asked for before the clip's element existed (a comment clicked), by item id. */
  private readonly pendingSeeks = new Map<string, number>();
  /** Playing frames drawn since start (for measuring and tests). */
  frames = 0;

  constructor(
    private readonly host: HTMLElement,
    private readonly layer: Konva.Layer,
    private readonly requestRender: () => void,
  ) {
    this.playButton = h("button", { type: "button", class: "ab-clip-play", "aria-label": "Pause", "data-testid": "clip-play" }, "❚❚");
    this.scrub = h("input", {
      type: "range", class: "ab-clip-scrub", min: 0, max: 1, step: "any", value: 0,
      "aria-label": "Clip time (seconds)", "data-testid": "clip-scrub",
    });
    this.time = h("span", { class: "ab-clip-time", "aria-hidden": "true" });
    this.curve = document.createElementNS(SVG, "svg");
    this.curve.setAttribute("class", "ab-clip-curve");
    this.curve.setAttribute("role", "img");
    this.curve.dataset.testid = "clip-drift";
    this.flag = h("p", { class: "ab-clip-flag", "data-testid": "clip-drift-flag" });
    this.worst = h("p", { class: "ab-clip-worst", "data-testid": "clip-drift-worst" });
    this.markersEl = h("div", { class: "ab-clip-markers", "data-testid": "clip-markers" });
    this.bar = h(
      "div",
      { class: "ab-clip-bar", role: "group", "aria-label": "Video clip", hidden: true, "data-testid": "clip-bar" },
      h("div", { class: "ab-clip-row" }, this.playButton, h("div", { class: "ab-clip-track" }, this.scrub, this.markersEl), this.time),
      this.curve,
      this.flag,
      this.worst,
    );
    host.append(this.bar);
    // The bar's keys and pointers are its own, not canvas shortcuts or gestures.
    for (const type of ["keydown", "pointerdown", "wheel", "dblclick"]) this.bar.addEventListener(type, (e) => e.stopPropagation());
    this.scrub.addEventListener("input", () => this.seek(Number(this.scrub.value)));
    this.scrub.addEventListener("keydown", (e) => this.scrubKey(e));
    this.playButton.addEventListener("click", () => this.togglePlay());
    host.addEventListener("pointermove", (e) => this.pointer(e));
    host.addEventListener("pointerleave", () => this.setHover(null));
  }

  /** Called at the end of each renderer frame with what it shows. */
  sync(entries: ReadonlyMap<string, Entry>, selection: ReadonlySet<string>, camera: Camera, size: Size): void {
    this.entries = entries;
    this.camera = camera;
    const view = visibleBoardRect(camera, size);
    const wanted = new Set<string>();
    for (const id of selection) if (entries.get(id)?.item.kind === "video") wanted.add(id);
    if (this.hover && entries.get(this.hover)?.item.kind === "video") wanted.add(this.hover);
    for (const id of [...this.clips.keys()]) if (!wanted.has(id)) this.release(id);
    for (const id of wanted) {
      const entry = entries.get(id);
      const url = entry ? clipUrl(entry.item.props) : null;
      if (!entry || !url || entry.item.hidden) continue;
      const clip = this.clips.get(id) ?? this.take(entry, url);
      const onScreen = rectsIntersect(placementBounds(entry.item), view);
      if (onScreen && !clip.held) {
        if (clip.video.paused) void clip.video.play().catch(() => {});
      } else if (!clip.video.paused) clip.video.pause();
      this.show(clip);
    }
    const single = selection.size === 1 ? [...selection][0] : undefined;
    this.placeBar(single && this.clips.has(single) ? (entries.get(single)?.item ?? null) : null);
  }

  /** The entry is gone (culled or deleted): its clip stops. */
  forget(id: string): void {
    this.release(id);
  }

  states(): ClipState[] {
    return [...this.clips.values()].map((c) => ({
      id: c.id,
      currentTime: c.video.currentTime,
      readyState: c.video.readyState,
      paused: c.video.paused,
      drawing: this.entries.get(c.id)?.image?.image() === c.video,
    }));
  }

  /** Where the clip of item `id` stands now (seconds), or null when it is not playing. */
  currentTime(id: string): number | null {
    const clip = this.clips.get(id);
    return clip ? clip.video.currentTime : null;
  }

  /** Show the clip of item `id` at `seconds`, paused there (now, or once it is loaded). */
  seekTo(id: string, seconds: number): void {
    const clip = this.clips.get(id);
    if (clip && clip.video.readyState >= 1) this.seekClip(clip, seconds);
    else this.pendingSeeks.set(id, seconds);
    this.requestRender();
  }

  /** Comments pinned to moments, by item id; drawn on the bar of the selected clip. */
  setMarkers(markers: ReadonlyMap<string, ClipMarker[]>): void {
    this.markers = markers;
    this.markersShown = "";
    if (this.barFor) this.showMarkers(this.barFor);
  }

  element(id: string): HTMLVideoElement | null {
    return this.clips.get(id)?.video ?? null;
  }

  destroy(): void {
    for (const id of [...this.clips.keys()]) this.release(id);
    this.bar.remove();
  }

  // --- playback ---------------------------------------------------------------------------

  private take(entry: Entry, url: string): Clip {
    const video = document.createElement("video");
    video.muted = true;
    video.defaultMuted = true;
    video.loop = true;
    video.playsInline = true;
    video.preload = "auto";
    video.src = url;
    const clip: Clip = { id: entry.item.id, video, poster: undefined, held: this.pendingSeeks.has(entry.item.id) };
    video.addEventListener("playing", () => this.startLoop());
    // A paused clip (scrubbed) still shows its new frame: one draw after each seek.
    video.addEventListener("seeked", () => this.drawOnce(clip));
    video.addEventListener("loadeddata", () => this.drawOnce(clip));
    video.addEventListener("loadedmetadata", () => {
      const wanted = this.pendingSeeks.get(clip.id);
      if (wanted === undefined) return;
      this.pendingSeeks.delete(clip.id);
      this.seekClip(clip, wanted);
    });
    video.addEventListener("timeupdate", () => {
      if (this.barFor === clip.id) this.showTime(video);
    });
    this.clips.set(clip.id, clip);
    return clip;
  }

  private release(id: string): void {
    const clip = this.clips.get(id);
    if (!clip) return;
    this.clips.delete(id);
    clip.video.pause();
    clip.video.removeAttribute("src");
    clip.video.load(); // drops the decoder and the connection
    const image = this.entries.get(id)?.image;
    if (image && image.image() === clip.video) {
      image.image(clip.poster as HTMLImageElement | undefined);
      this.layer.batchDraw();
    }
  }

  /** Put the clip's current frame in its node (once it has one), keeping the poster aside. */
  private show(clip: Clip): void {
    const image = this.entries.get(clip.id)?.image;
    if (!image || clip.video.readyState < 2) return;
    const current = image.image();
    if (current === clip.video) return;
    clip.poster = current as CanvasImageSource | undefined;
    image.crop({ x: 0, y: 0, width: 0, height: 0 });
    image.image(clip.video as unknown as HTMLImageElement);
  }

  private drawOnce(clip: Clip): void {
    this.show(clip);
    this.layer.batchDraw();
    if (this.barFor === clip.id) this.showTime(clip.video);
  }

  private startLoop(): void {
    if (this.loop) return;
    const tick = () => {
      this.loop = 0;
      let playing = false;
      for (const clip of this.clips.values()) {
        if (clip.video.paused || clip.video.ended) continue;
        playing = true;
        this.show(clip);
      }
      if (!playing) return; // the last clip stopped: no more frames until one plays again
      this.frames += 1;
      this.layer.batchDraw();
      this.loop = requestAnimationFrame(tick);
    };
    this.loop = requestAnimationFrame(tick);
  }

  private pointer(e: PointerEvent): void {
    if (e.buttons) return; // dragging: not a hover
    const box = this.host.getBoundingClientRect();
    const at = screenToBoard(this.camera, { x: e.clientX - box.left, y: e.clientY - box.top });
    let hit: ItemData | null = null;
    for (const entry of this.entries.values()) {
      const item = entry.item;
      if (item.kind !== "video" || item.hidden || !placementContainsPoint(item, at)) continue;
      if (!hit || item.z > hit.z) hit = item;
    }
    this.setHover(hit?.id ?? null);
  }

  private setHover(id: string | null): void {
    if (id === this.hover) return;
    this.hover = id;
    this.requestRender();
  }

  // --- the bar under a selected clip -------------------------------------------------------

  private placeBar(item: ItemData | null): void {
    // Runs every frame the renderer draws (camera moves too): write only what changed.
    if (!item) {
      setHidden(this.bar, true);
      this.barFor = null;
      return;
    }
    const clip = this.clips.get(item.id) as Clip;
    if (this.barFor !== item.id) {
      this.barFor = item.id;
      this.fillDrift(item);
      this.markersShown = "";
    }
    this.showMarkers(item.id);
    const pts = corners(item).map((p) => boardToScreen(this.camera, p));
    const left = Math.min(...pts.map((p) => p.x));
    const right = Math.max(...pts.map((p) => p.x));
    const bottom = Math.max(...pts.map((p) => p.y));
    const width = Math.min(480, Math.max(220, right - left));
    setStyles(this.bar, {
      left: `${Math.round((left + right) / 2 - width / 2)}px`,
      top: `${Math.round(bottom + 8)}px`,
      width: `${Math.round(width)}px`,
    });
    setHidden(this.bar, false);
    this.showTime(clip.video);
  }

  private duration(video: HTMLVideoElement): number {
    const item = this.barFor ? this.entries.get(this.barFor)?.item : undefined;
    const declared = Number((item?.props.video as { duration?: number } | undefined)?.duration ?? 0);
    return Number.isFinite(video.duration) && video.duration > 0 ? video.duration : declared || 1;
  }

  private showTime(video: HTMLVideoElement): void {
    const duration = this.duration(video);
    const now = Math.min(duration, video.currentTime);
    this.scrub.max = String(duration);
    if (document.activeElement !== this.scrub || video.paused) this.scrub.value = String(now);
    this.scrub.setAttribute("aria-valuenow", now.toFixed(2));
    this.scrub.setAttribute("aria-valuetext", clipTimeText(now, duration));
    this.time.textContent = clipTimeText(now, duration);
    const playing = !video.paused;
    this.playButton.textContent = playing ? "❚❚" : "▶";
    this.playButton.setAttribute("aria-label", playing ? "Pause" : "Play");
  }

  /** The markers of the bar's clip, rebuilt only when they change. */
  private showMarkers(id: string): void {
    const list = this.markers.get(id) ?? [];
    const clip = this.clips.get(id);
    const duration = clip ? this.duration(clip.video) : 0;
    const key = `${id}|${duration}|${list.map((m) => `${m.id}@${m.time}`).join(",")}`;
    if (key === this.markersShown) return;
    this.markersShown = key;
    this.markersEl.replaceChildren(
      ...list.map((m) => {
        const marker = h("button", {
          type: "button", class: "ab-clip-marker", "data-testid": "clip-comment-marker", "data-comment": m.id,
          title: `Comment at ${clipMomentText(m.time)}`, "aria-label": `Comment at ${clipMomentText(m.time)}`,
        });
        setStyles(marker, { left: `${duration > 0 ? Math.min(100, (m.time / duration) * 100) : 0}%` });
        marker.addEventListener("click", () => this.seek(m.time));
        return marker;
      }),
    );
  }

  private seek(seconds: number): void {
    const clip = this.barFor ? this.clips.get(this.barFor) : undefined;
    if (!clip) return;
    this.seekClip(clip, seconds);
  }

  private seekClip(clip: Clip, seconds: number): void {
    clip.held = true;
    clip.video.pause();
    clip.video.currentTime = Math.max(0, Math.min(this.duration(clip.video), seconds));
    if (this.barFor === clip.id) this.showTime(clip.video);
  }

  private scrubKey(e: KeyboardEvent): void {
    const clip = this.barFor ? this.clips.get(this.barFor) : undefined;
    if (!clip) return;
    const item = this.entries.get(clip.id)?.item;
    const fps = Number((item?.props.video as { fps?: number } | undefined)?.fps ?? 24) || 24;
    const step = e.shiftKey ? 1 : 1 / fps;
    const now = clip.video.currentTime;
    const to: Record<string, number> = {
      ArrowLeft: now - step, ArrowDown: now - step, ArrowRight: now + step, ArrowUp: now + step,
      Home: 0, End: this.duration(clip.video), PageUp: now + 1, PageDown: now - 1,
    };
    const target = to[e.key];
    if (target === undefined) return;
    e.preventDefault();
    this.seek(target);
  }

  private togglePlay(): void {
    const clip = this.barFor ? this.clips.get(this.barFor) : undefined;
    if (!clip) return;
    clip.held = !clip.video.paused;
    if (clip.held) clip.video.pause();
    else void clip.video.play().catch(() => {});
    this.showTime(clip.video);
  }

  private fillDrift(item: ItemData): void {
    this.curve.replaceChildren();
    const report = driftOf(item.props);
    if (!report) {
      this.curve.setAttribute("hidden", "");
      // A share link that does not share the team's assessment sends no drift at all: say nothing.
      const shared = "drift" in ((item.props.video as object | undefined) ?? {});
      this.flag.textContent = shared ? "Drift not measured" : "";
      this.flag.className = "ab-clip-flag";
      this.worst.textContent = "";
      return;
    }
    this.curve.removeAttribute("hidden");
    const width = 200;
    const curve = driftCurve(report, width, CURVE_HEIGHT);
    const words = driftWords(report);
    this.curve.setAttribute("viewBox", `0 0 ${width} ${CURVE_HEIGHT}`);
    this.curve.setAttribute("preserveAspectRatio", "none");
    this.curve.setAttribute("aria-label", `Temporal drift per second. ${words.worst}. ${words.flag}.`);
    for (const bar of curve.bars) {
      const rect = document.createElementNS(SVG, "rect");
      rect.setAttribute("x", String(bar.x));
      rect.setAttribute("y", String(bar.y));
      rect.setAttribute("width", String(bar.width));
      rect.setAttribute("height", String(bar.height));
      rect.setAttribute("class", bar.tone);
      rect.dataset.second = String(bar.second);
      const title = document.createElementNS(SVG, "title");
      title.textContent = `Second ${bar.second}: ${bar.score.toFixed(2)}× tolerance`;
      rect.append(title);
      // A click on a second's bar shows that second.
      rect.addEventListener("click", () => this.seek(bar.second));
      this.curve.append(rect);
    }
    const line = document.createElementNS(SVG, "line");
    line.setAttribute("x1", "0");
    line.setAttribute("x2", String(width));
    line.setAttribute("y1", String(curve.toleranceY));
    line.setAttribute("y2", String(curve.toleranceY));
    line.setAttribute("class", "tolerance");
    this.curve.append(line);
    this.flag.textContent = words.flagged ? `⚠ ${words.flag}` : words.flag;
    this.flag.className = words.flagged ? "ab-clip-flag flagged" : "ab-clip-flag";
    this.worst.textContent = words.worst;
  }
}
