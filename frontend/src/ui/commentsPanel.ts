/**
 * Comments on the board page: the panel (threads with replies, resolve/reopen, unread count,
 * a composer with @mention autocomplete), the pins drawn over the canvas (a point or an
 * area), and the Comment tool (C): click for a point, drag for an area. A comment can also
 * be pinned to the selected result layer or image, or to a candidate from the filmstrip.
 *
 * A comment on a selected video clip ("On selection") is pinned to the clip's moment (its
 * scrub position): the thread says "at 0:03.2", clicking that selects the clip and seeks it
 * there, and the clip's scrub bar shows a marker per comment (`ClipHooks`, render/videoClips).
 *
 * The panel talks to a `CommentBackend` (the member API or a share link's guest API), so the
 * same code serves the team and clients. It must not change the board.
 */
import type { Editor } from "../editor";
import { clipMomentText } from "../render/driftCurve";
import type { ClipMarker } from "../render/videoClips";
import { boardToScreen } from "../model/geometry";
import { completeMention, mentionAt, suggestMembers, type Member } from "../review/mentions";
import { type PinAnchor, areaOnScreen, pinFromGesture } from "../review/pins";
import { CommentStore, type Thread } from "../review/threads";
import { ago } from "../review/thumbs";
import type { CommentAnchor, ReviewComment } from "../review/types";
import { h, rafThrottle, replaceChildrenIfChanged, setStyles } from "./dom";
import { focusReturn } from "./focusReturn";

/** A placer that keeps `pin` at the screen point `at()` gives. */
function pinAt(pin: HTMLElement, at: () => { x: number; y: number }): () => void {
  return () => {
    const p = at();
    setStyles(pin, { left: `${p.x}px`, top: `${p.y}px` });
  };
}

export type NewCommentTarget =
  | PinAnchor
  | { target: "point"; x: number; y: number; item: string; time: number }
  | { target: "iteration"; iteration: string }
  | { target: "asset"; asset: string };

/** What the panel needs of the board's clip player (render/videoClips.ts). */
export interface ClipHooks {
  currentTime(id: string): number | null;
  seekTo(id: string, seconds: number): void;
  setMarkers(markers: ReadonlyMap<string, ClipMarker[]>): void;
}

export interface CommentBackend {
  list(): Promise<ReviewComment[]>;
  add(body: Record<string, unknown>): Promise<ReviewComment>;
  /** Members only (guests cannot resolve). */
  setResolved?: (id: string, resolved: boolean) => Promise<ReviewComment>;
  markRead?: () => Promise<void>;
  unread?: () => Promise<number>;
  members: Member[];
  selfId: string | number | null;
  /** Guests: a name is asked before the first comment. */
  guestName?: string | null;
}

function describe(t: NewCommentTarget | CommentAnchor & { target?: string }): string {
  const a = t as Record<string, unknown>;
  if (typeof a.time === "number") return `at ${clipMomentText(a.time)} on a clip`;
  if (a.target === "iteration" || a.iteration) return "on a candidate";
  if (a.target === "asset" || a.asset) return "on an image";
  if (typeof a.width === "number") return `on an area ${Math.round(a.width as number)}×${Math.round(a.height as number)}`;
  return `at ${Math.round(a.x as number)}, ${Math.round(a.y as number)}`;
}

export class CommentsPanel {
  readonly panel: HTMLElement;
  readonly overlay = h("div", { class: "ab-review-overlay", "data-testid": "comment-pins" });
  readonly catcher = h("div", { class: "ab-comment-catcher", hidden: true, "data-testid": "comment-catcher" });
  readonly toolButton: HTMLButtonElement;
  readonly store = new CommentStore();
  private readonly threadsEl = h("div", { class: "ab-threads", "data-testid": "comment-threads" });
  private readonly unreadEl = h("span", { class: "ab-unread", "data-testid": "comment-unread", hidden: true });
  private readonly composer: HTMLElement;
  private readonly textarea = h("textarea", { "data-testid": "comment-body", placeholder: "Write a comment… (@ to mention)", "aria-label": "Comment" });
  private readonly targetEl = h("div", { class: "ab-c-meta", "data-testid": "comment-target" });
  private readonly errorEl = h("div", { class: "ab-error-text", role: "alert", "data-testid": "comment-error" });
  private readonly suggest = h("ul", { class: "ab-suggest", hidden: true, role: "listbox" });
  private readonly nameInput = h("input", { type: "text", placeholder: "Your name", "data-testid": "guest-name", "aria-label": "Your name", maxlength: "100" });
  private readonly emailInput = h("input", { type: "email", placeholder: "E-mail (optional)", "data-testid": "guest-email", "aria-label": "E-mail", maxlength: "254" });
  private readonly draft = h("div", { class: "ab-pin-draft", hidden: true });
  private target: NewCommentTarget | null = null;
  private replyTo: string | null = null;
  private showResolved = true;
  private unread = 0;
  private gesture: { start: { x: number; y: number }; pointer: number } | null = null;
  /** Moves the pins on screen (set by drawPins). */
  private placers: (() => void)[] = [];
  private readonly placePins = rafThrottle(() => this.movePins());
  private readonly redrawPins = rafThrottle(() => this.drawPins());

  constructor(
    private readonly editor: Editor,
    private readonly surface: HTMLElement,
    private readonly backend: CommentBackend,
    canComment: boolean,
    private readonly clips: ClipHooks | null = null,
  ) {
    this.toolButton = h("button", { type: "button", class: "ab-btn", "data-testid": "comment-tool", title: "Comment (C): click for a point, drag for an area", disabled: !canComment }, "Comment (C)");
    this.toolButton.addEventListener("click", () => this.setTool(this.catcher.hidden));
    const send = h("button", { type: "button", class: "ab-btn primary", "data-testid": "comment-send" }, "Send");
    send.addEventListener("click", () => void this.submit());
    const cancel = h("button", { type: "button", class: "ab-btn", "data-testid": "comment-cancel" }, "Cancel");
    cancel.addEventListener("click", () => this.closeComposer());
    const needsName = backend.guestName !== undefined && !backend.guestName;
    this.composer = h(
      "div",
      { class: "ab-composer", hidden: true, "data-testid": "comment-composer" },
      this.targetEl,
      needsName ? h("div", { class: "ab-guest-id" }, h("div", { class: "ab-c-meta" }, "Tell the team who you are (asked once):"), this.nameInput, this.emailInput) : null,
      this.textarea,
      this.suggest,
      this.errorEl,
      h("div", { style: "display:flex;gap:6px" }, send, cancel),
    );
    this.textarea.addEventListener("input", () => this.updateSuggest());
    this.textarea.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) {
        e.preventDefault();
        void this.submit();
      } else if (e.key === "Escape") {
        e.stopPropagation();
        this.closeComposer();
      } else if ((e.key === "Tab" || e.key === "Enter") && !this.suggest.hidden) {
        const first = this.suggest.querySelector("li");
        if (first) {
          e.preventDefault();
          this.pickMention(first.dataset.username ?? "");
        }
      }
    });
    const showResolved = h("input", { type: "checkbox", checked: true, "data-testid": "comments-show-resolved" });
    showResolved.addEventListener("change", () => {
      this.showResolved = showResolved.checked;
      this.render();
    });
    const markRead = h("button", { type: "button", class: "ab-btn small", "data-testid": "comments-mark-read" }, "Mark read");
    markRead.addEventListener("click", () => void this.markRead());
    const onSelection = h("button", { type: "button", class: "ab-btn small", "data-testid": "comment-on-selection", disabled: !canComment, title: "Comment on the selected image or result" }, "On selection");
    onSelection.addEventListener("click", () => this.commentOnSelection());
    this.panel = h(
      "section",
      { class: "ab-panel ab-comments", "data-testid": "comments-panel" },
      h("h3", {}, "Comments ", this.unreadEl),
      h("div", { style: "display:flex;gap:6px;align-items:center;flex-wrap:wrap" }, this.toolButton, onSelection, backend.markRead ? markRead : null, h("label", { class: "ab-c-meta" }, showResolved, " resolved")),
      canComment ? null : h("p", { class: "ab-c-meta", "data-testid": "comments-read-only" }, "You can read comments; writing them needs the reviewer role or above."),
      this.composer,
      this.threadsEl,
    );
    this.overlay.append(this.draft);
    this.wireCatcher();
    editor.on("camera", this.placePins);
    editor.on("document", this.redrawPins);
  }

  async load(): Promise<void> {
    try {
      for (const c of await this.backend.list()) this.store.upsert(c);
      if (this.backend.unread) this.setUnread(await this.backend.unread());
    } catch (e) {
      this.errorEl.textContent = (e as Error).message;
    }
    this.render();
  }

  /** A comment from the socket (create, resolve, reopen): upsert by id. */
  receive(c: ReviewComment): void {
    const known = this.store.get(c.id);
    this.store.upsert(c);
    const mine = this.backend.selfId !== null && c.author.id !== null && c.author.id !== undefined && String(c.author.id) === String(this.backend.selfId);
    if (!known && !mine) this.setUnread(this.unread + 1);
    this.render();
  }

  setTool(on: boolean): void {
    this.catcher.hidden = !on;
    this.toolButton.setAttribute("aria-pressed", String(on));
    if (on) this.editor.notify("info", "Click to pin a comment to a point, or drag to mark an area. Esc cancels.");
  }

  /** What opened the composer gets the focus back when it closes (sent, cancelled, Esc);
   * a reply goes back to its thread's Reply as the list shows it then. */
  private readonly composerReturn = focusReturn({
    prefer: () => (this.replyTo ? this.threadsEl.querySelector<HTMLElement>(`[data-testid=comment-thread][data-id="${CSS.escape(this.replyTo)}"] [data-testid=comment-reply]`) : null),
  });

  openComposer(target: NewCommentTarget | null, replyTo: string | null = null): void {
    if (!this.composer.contains(document.activeElement)) this.composerReturn.remember(undefined, true);
    this.target = target;
    this.replyTo = replyTo;
    this.targetEl.textContent = replyTo ? "Reply" : target ? `New comment ${describe(target)}` : "";
    this.errorEl.textContent = "";
    this.composer.hidden = false;
    this.drawPins();
    // On a tablet or phone the panel may be a closed drawer or sheet: ask the layout to show it.
    this.panel.dispatchEvent(new CustomEvent("ab:reveal", { bubbles: true }));
    this.textarea.focus();
  }

  closeComposer(): void {
    if (!this.composer.hidden) this.composerReturn.restore(this.composer);
    this.composer.hidden = true;
    this.target = null;
    this.replyTo = null;
    this.textarea.value = "";
    this.suggest.hidden = true;
    this.drawPins();
  }

  commentOnSelection(): void {
    const [id] = this.editor.selection;
    const item = id ? this.editor.doc.get(id) : undefined;
    if (!item) {
      this.editor.notify("info", "Select an image or result on the canvas first, or use the Comment tool (C).");
      return;
    }
    const iteration = item.props?.iteration;
    const now = item.kind === "video" ? this.clips?.currentTime(item.id) : null;
    if (typeof now === "number") {
      // A clip: the moment its scrub bar shows, pinned under the clip where that moment is.
      const duration = Number((item.props?.video as { duration?: number } | undefined)?.duration ?? 0);
      const time = Math.round(Math.min(Math.max(0, now), duration || now) * 100) / 100;
      const x = item.x + item.width * (duration > 0 ? time / duration : 0);
      this.openComposer({ target: "point", x, y: item.y + item.height, item: item.id, time });
    } else if (typeof iteration === "string") this.openComposer({ target: "iteration", iteration });
    else if (item.asset) this.openComposer({ target: "asset", asset: item.asset.id });
    else this.openComposer({ target: "area", x: item.x, y: item.y, width: Math.max(1, item.width), height: Math.max(1, item.height) });
  }

  private setUnread(n: number): void {
    this.unread = n;
    this.unreadEl.textContent = String(n);
    this.unreadEl.hidden = n === 0;
  }

  private async markRead(): Promise<void> {
    try {
      await this.backend.markRead?.();
      this.setUnread(0);
    } catch (e) {
      this.errorEl.textContent = (e as Error).message;
    }
  }

  private async submit(): Promise<void> {
    const body = this.textarea.value.trim();
    if (!body) {
      this.errorEl.textContent = "Write something before sending the comment.";
      return;
    }
    const data: Record<string, unknown> = { body };
    if (this.replyTo) data.parent = this.replyTo;
    else if (this.target) Object.assign(data, this.target);
    else {
      this.errorEl.textContent = "Pin the comment first: use the Comment tool (C) or comment on a selection.";
      return;
    }
    if (this.backend.guestName !== undefined && !this.backend.guestName) {
      const name = this.nameInput.value.trim();
      if (!name) {
        this.errorEl.textContent = "Tell the team your name before your first comment.";
        this.nameInput.focus();
        return;
      }
      data.name = name;
      data.email = this.emailInput.value.trim();
    }
    try {
      const c = await this.backend.add(data);
      if (data.name) {
        this.backend.guestName = String(data.name);
        this.nameInput.parentElement?.remove();
      }
      this.store.upsert(c);
      // Drawn first, so the focus goes back to the thread's Reply as it is now.
      this.render();
      this.closeComposer();
    } catch (e) {
      this.errorEl.textContent = (e as Error).message; // kept: the text stays in the box
    }
  }

  private updateSuggest(): void {
    const at = mentionAt(this.textarea.value, this.textarea.selectionStart ?? this.textarea.value.length);
    const list = at ? suggestMembers(this.backend.members, at.query) : [];
    this.suggest.hidden = list.length === 0;
    this.suggest.replaceChildren(
      ...list.map((m, i) => {
        const li = h("li", { role: "option", "data-username": m.username, "aria-selected": i === 0 ? "true" : "false", "data-testid": "mention-option" }, `@${m.username} · ${m.name}`);
        li.addEventListener("mousedown", (e) => {
          e.preventDefault();
          this.pickMention(m.username);
        });
        return li;
      }),
    );
  }

  private pickMention(username: string): void {
    const r = completeMention(this.textarea.value, this.textarea.selectionStart ?? this.textarea.value.length, username);
    this.textarea.value = r.text;
    this.textarea.setSelectionRange(r.caret, r.caret);
    this.suggest.hidden = true;
  }

  private wireCatcher(): void {
    const local = (e: PointerEvent) => {
      const r = this.surface.getBoundingClientRect();
      return this.editor.toBoard({ x: e.clientX - r.left, y: e.clientY - r.top });
    };
    this.catcher.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      this.catcher.setPointerCapture(e.pointerId);
      this.gesture = { start: local(e), pointer: e.pointerId };
    });
    this.catcher.addEventListener("pointermove", (e) => {
      if (!this.gesture) return;
      const pin = pinFromGesture(this.gesture.start, local(e), this.editor.camera.zoom);
      const rect = pin.target === "area" ? areaOnScreen(pin, this.editor.camera) : null;
      this.draft.hidden = !rect;
      if (rect) Object.assign(this.draft.style, { left: `${rect.x}px`, top: `${rect.y}px`, width: `${rect.width}px`, height: `${rect.height}px` });
    });
    // A second finger (a pinch, tools/touch.ts) takes the first one back: no comment then.
    this.catcher.addEventListener("pointercancel", () => {
      this.gesture = null;
      this.draft.hidden = true;
    });
    this.catcher.addEventListener("pointerup", (e) => {
      if (!this.gesture) return;
      const pin = pinFromGesture(this.gesture.start, local(e), this.editor.camera.zoom);
      this.gesture = null;
      this.draft.hidden = true;
      this.setTool(false);
      this.openComposer(pin);
    });
    this.catcher.addEventListener("keydown", (e) => {
      if (e.key === "Escape") this.setTool(false);
    });
  }

  /**
   * Rebuild the pins (threads, the draft pin) when what they show changes; a camera move only
   * calls `movePins`, which moves them. With no pins it writes nothing.
   */
  private drawPins(): void {
    const out: HTMLElement[] = [this.draft];
    const placers: (() => void)[] = [];
    const threads = this.store.threads({ includeResolved: this.showResolved });
    threads.forEach((t, i) => {
      const a = t.root.anchor;
      let at: (() => { x: number; y: number }) | null = null;
      if (typeof a.x === "number" && typeof a.y === "number") {
        const point = { x: a.x, y: a.y };
        if (areaOnScreen(a, this.editor.camera)) {
          const box = h("div", { class: "ab-pin-area" });
          placers.push(() => {
            const area = areaOnScreen(a, this.editor.camera);
            if (area) setStyles(box, { left: `${area.x}px`, top: `${area.y}px`, width: `${area.width}px`, height: `${area.height}px` });
          });
          out.push(box);
        }
        at = () => boardToScreen(this.editor.camera, point);
      } else {
        const id = a.iteration ?? a.asset;
        const item = [...this.editor.doc.ordered()].find((it) => (a.iteration ? it.props?.iteration === id : it.asset?.id === id));
        if (item) at = () => boardToScreen(this.editor.camera, { x: item.x + item.width, y: item.y });
      }
      if (!at) return;
      const pin = h("button", { type: "button", class: `ab-pin${t.root.resolved ? " resolved" : ""}`, "data-testid": "comment-pin", "data-id": t.root.id, title: t.root.body.slice(0, 80) }, String(threads.length - i));
      pin.addEventListener("click", () => this.threadsEl.querySelector<HTMLElement>(`[data-id="${t.root.id}"]`)?.scrollIntoView({ block: "nearest" }));
      placers.push(pinAt(pin, at));
      out.push(pin);
    });
    if (this.target && !this.replyTo && "x" in this.target) {
      const point = { x: this.target.x, y: this.target.y };
      const pin = h("span", { class: "ab-pin", "data-testid": "comment-pin-draft" }, "+");
      placers.push(pinAt(pin, () => boardToScreen(this.editor.camera, point)));
      out.push(pin);
    }
    this.placers = placers;
    this.movePins();
    replaceChildrenIfChanged(this.overlay, out);
  }

  private movePins(): void {
    for (const place of this.placers) place();
  }

  private renderComment(c: ReviewComment, cls: string): HTMLElement {
    return h(
      "div",
      { class: cls, "data-testid": "comment", "data-id": c.id },
      h("div", { class: "ab-c-meta" }, `${c.author.name}${c.author.guest ? " (guest)" : ""} · ${ago(c.created_at)}`),
      h("div", { class: "ab-c-body", "data-testid": "comment-text" }, c.body),
    );
  }

  private renderThread(t: Thread, n: number): HTMLElement {
    const el = h("div", { class: `ab-thread${t.root.resolved ? " resolved" : ""}`, "data-testid": "comment-thread", "data-id": t.root.id, "data-resolved": String(t.root.resolved) });
    el.append(h("div", { class: "ab-c-meta" }, `#${n} ${describe({ target: t.root.target, ...t.root.anchor })}${t.root.resolved ? " · resolved" : ""}`));
    const { item, time } = t.root.anchor;
    if (item && typeof time === "number") {
      const seek = h("button", { type: "button", class: "ab-btn small ab-c-time", "data-testid": "comment-time", title: "Show the clip at this moment" }, `at ${clipMomentText(time)}`);
      seek.addEventListener("click", () => this.showMoment(item, time));
      el.append(seek);
    }
    el.append(this.renderComment(t.root, "ab-root"));
    for (const r of t.replies) el.append(this.renderComment(r, "ab-reply"));
    const actions = h("div", { style: "display:flex;gap:4px" });
    if (!this.toolButton.disabled) {
      const reply = h("button", { type: "button", class: "ab-btn small", "data-testid": "comment-reply" }, "Reply");
      reply.addEventListener("click", () => this.openComposer(null, t.root.id));
      actions.append(reply);
    }
    if (this.backend.setResolved && !this.toolButton.disabled) {
      const toggle = h("button", { type: "button", class: "ab-btn small", "data-testid": t.root.resolved ? "comment-reopen" : "comment-resolve" }, t.root.resolved ? "Reopen" : "Resolve");
      toggle.addEventListener("click", async () => {
        try {
          this.store.upsert(await this.backend.setResolved!(t.root.id, !t.root.resolved));
          this.render();
        } catch (e) {
          this.errorEl.textContent = (e as Error).message;
        }
      });
      actions.append(toggle);
    }
    el.append(actions);
    return el;
  }

  /** Select the clip and show it at `time` (a comment's moment). */
  showMoment(item: string, time: number): void {
    if (!this.editor.doc.get(item)) {
      this.editor.notify("info", "That clip is no longer on the board.");
      return;
    }
    this.editor.select([item]);
    this.clips?.seekTo(item, time);
  }

  render(): void {
    const threads = this.store.threads({ includeResolved: this.showResolved });
    if (this.clips) {
      const markers = new Map<string, ClipMarker[]>();
      for (const t of threads) {
        const { item, time } = t.root.anchor;
        if (!item || typeof time !== "number") continue;
        markers.set(item, [...(markers.get(item) ?? []), { id: t.root.id, time }]);
      }
      this.clips.setMarkers(markers);
    }
    this.threadsEl.replaceChildren(...threads.map((t, i) => this.renderThread(t, threads.length - i)));
    if (!threads.length) this.threadsEl.append(h("p", { class: "muted" }, "No comments yet."));
    this.drawPins();
  }
}
