/**
 * Comments on a video candidate, on the review page: a dialog with the candidate's clip
 * (its own player, so the grid re-rendering does not stop it), its comment threads and, for
 * people who may comment, a composer that pins the comment to the clip's moment — the
 * player's position when Send is pressed, "at 0:01.5", as a clip comment on the board is.
 * A thread's "at 0:01.5" pauses the clip and seeks it there.
 *
 * The server checks the time (within the clip, a number) and the role; this module shows
 * its sentence. It renders from the page's CommentStore and sends through `post`; it must
 * not decide anything.
 */
import { clipMomentText } from "../render/driftCurve";
import { h } from "../ui/dom";
import { iconButton } from "../ui/icons";
import { Dialog } from "../ui/overlay";
import { clipPlayer } from "./card";
import type { CommentStore, Thread } from "./threads";
import { ago } from "./thumbs";
import type { Candidate, ReviewComment } from "./types";

export interface ClipCommentOptions {
  store: CommentStore;
  /** Absent for people who may read but not write comments (viewers). */
  post?: (body: Record<string, unknown>) => Promise<ReviewComment>;
  /** After a comment of ours was stored (the page re-counts its cards). */
  changed(): void;
}

/** The body of a comment on `candidate` at `time` seconds: hundredths, rounded down so the
 * clip's last frame never rounds past its duration. */
export function momentComment(candidate: string, body: string, time: number | null): Record<string, unknown> {
  const data: Record<string, unknown> = { body, target: "iteration", iteration: candidate };
  if (time !== null && Number.isFinite(time)) data.time = Math.floor(Math.max(0, time) * 100) / 100;
  return data;
}

/** The threads pinned to one candidate, newest activity first. */
export function candidateThreads(store: CommentStore, candidate: string): Thread[] {
  return store.threads().filter((t) => t.root.anchor.iteration === candidate);
}

export class ClipComments {
  readonly element: HTMLElement;
  private readonly dialog: Dialog;
  private readonly title = h("h3", {}, "Comments");
  private readonly playerSlot = h("div", { class: "rv-clip-comments-player" });
  private readonly threadsEl = h("div", { class: "rv-clip-threads", "data-testid": "clip-comment-threads" });
  private readonly textarea = h("textarea", { "data-testid": "comment-body", placeholder: "Write a comment…", "aria-label": "Comment" });
  private readonly pin = h("input", { type: "checkbox", checked: true, "data-testid": "comment-pin-moment" });
  private readonly momentEl = h("span", { "data-testid": "comment-moment" }, "at 0:00.0");
  private readonly errorEl = h("div", { class: "ab-error-text", role: "alert", "data-testid": "comment-error" });
  private video: HTMLVideoElement | null = null;
  private candidate: Candidate | null = null;

  constructor(private readonly opts: ClipCommentOptions) {
    this.dialog = new Dialog({ label: "Comments on a clip", className: "rv-clip-comments", onClose: () => this.video?.pause() });
    this.element = this.dialog.element;
    const close = iconButton({ icon: "close", label: "Close", keys: "Esc", testid: "clip-comments-close", onClick: () => this.dialog.close() });
    this.dialog.box.append(h("div", { class: "ab-dialog-head" }, this.title, close), this.playerSlot, this.threadsEl);
    if (opts.post) {
      const send = h("button", { type: "button", class: "ab-btn primary", "data-testid": "comment-send" }, "Send");
      send.addEventListener("click", () => void this.submit());
      this.textarea.addEventListener("keydown", (e) => {
        if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) {
          e.preventDefault();
          void this.submit();
        }
      });
      this.dialog.box.append(
        h(
          "div",
          { class: "ab-composer", "data-testid": "comment-composer" },
          h("label", { class: "ab-c-meta" }, this.pin, " Pin to the clip's moment ", this.momentEl),
          this.textarea,
          this.errorEl,
          h("div", { style: "display:flex;gap:6px" }, send),
        ),
      );
    } else {
      this.dialog.box.append(h("p", { class: "ab-c-meta", "data-testid": "comments-read-only" }, "You can read comments; writing them needs the reviewer role or above."));
    }
  }

  get isOpen(): boolean {
    return this.dialog.isOpen;
  }

  open(c: Candidate, name: string): void {
    this.candidate = c;
    this.title.textContent = `${name} — comments`;
    this.video = clipPlayer(c, name);
    this.video.dataset.testid = "clip-comments-player";
    this.video.loop = false;
    const showMoment = () => (this.momentEl.textContent = `at ${clipMomentText(this.video?.currentTime ?? 0)}`);
    for (const event of ["timeupdate", "seeked", "loadedmetadata"]) this.video.addEventListener(event, showMoment);
    this.playerSlot.replaceChildren(this.video);
    this.errorEl.textContent = "";
    showMoment();
    this.render();
    this.dialog.open(this.opts.post ? this.textarea : null);
  }

  /** Redraw the threads (a comment arrived, here or from the socket). */
  render(): void {
    const c = this.candidate;
    if (!c) return;
    const threads = candidateThreads(this.opts.store, c.id);
    this.threadsEl.replaceChildren(...threads.map((t) => this.renderThread(t)));
    if (!threads.length) this.threadsEl.append(h("p", { class: "muted" }, "No comments on this clip yet."));
  }

  /** Pause the clip and show it at `time`. */
  seek(time: number): void {
    if (!this.video) return;
    this.video.pause();
    this.video.currentTime = time;
  }

  private renderThread(t: Thread): HTMLElement {
    const el = h("div", { class: "ab-thread", "data-testid": "comment-thread", "data-id": t.root.id });
    const time = t.root.anchor.time;
    if (typeof time === "number") {
      const seek = h("button", { type: "button", class: "ab-btn small ab-c-time", "data-testid": "comment-time", title: "Show the clip at this moment" }, `at ${clipMomentText(time)}`);
      seek.addEventListener("click", () => this.seek(time));
      el.append(seek);
    }
    for (const comment of [t.root, ...t.replies]) {
      el.append(
        h(
          "div",
          { class: comment === t.root ? "ab-root" : "ab-reply", "data-testid": "comment", "data-id": comment.id },
          h("div", { class: "ab-c-meta" }, `${comment.author.name}${comment.author.guest ? " (guest)" : ""} · ${ago(comment.created_at)}`),
          h("div", { class: "ab-c-body", "data-testid": "comment-text" }, comment.body),
        ),
      );
    }
    return el;
  }

  private async submit(): Promise<void> {
    const c = this.candidate;
    const body = this.textarea.value.trim();
    if (!c || !this.opts.post) return;
    if (!body) {
      this.errorEl.textContent = "Write something before sending the comment.";
      return;
    }
    const time = this.pin.checked && this.video ? this.video.currentTime : null;
    try {
      const stored = await this.opts.post(momentComment(c.id, body, time));
      this.opts.store.upsert(stored);
      this.textarea.value = "";
      this.errorEl.textContent = "";
      this.render();
      this.opts.changed();
    } catch (e) {
      this.errorEl.textContent = (e as Error).message; // the text stays in the box
    }
  }
}
