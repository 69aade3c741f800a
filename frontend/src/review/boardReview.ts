/**
 * Review on the board page, for the team and for share-link guests: decision badges on
 * result layers, the candidates filmstrip, the comments panel and Comment tool (C), the
 * owner's Share dialog, and — on a share link — guest decisions and the "link no longer
 * works" cover. main.ts mounts it and forwards review messages from the board socket.
 *
 * Wiring only: behaviour lives in ui/decisionBadges, ui/filmstrip, ui/commentsPanel,
 * share/shareDialog and share/guest; the server decides what anyone may do.
 */
import "./review.css";
import type { Editor } from "../editor";
import { GuestLink, LINK_DEAD_CODES, type ShareInfo } from "../share/guest";
import { ShareDialog } from "../share/shareDialog";
import { type ClipHooks, type CommentBackend, CommentsPanel } from "../ui/commentsPanel";
import { DecisionBadges } from "../ui/decisionBadges";
import { h } from "../ui/dom";
import { Filmstrip } from "../ui/filmstrip";
import { ApiError, apiJson } from "./api";
import type { Member } from "./mentions";
import type { Candidate, ConsistencyMessage, ReviewComment, ReviewList, ReviewMessage } from "./types";

export interface ReviewBoot {
  board_id: string;
  api_base: string;
  role: string;
  can_edit: boolean;
  user: { id: number | string | null; name: string };
  members?: Member[];
  share?: ShareInfo;
}

export interface ReviewHandles {
  panels: HTMLElement[];
  /** Candidates, Comment, Review and Share buttons, for the toolbar. */
  bar: HTMLElement;
  receive(msg: ReviewMessage): void;
  /** An `error` from the socket not tied to a batch (a dead share link among others). */
  socketError(code: string, message: string): void;
  /** Job messages: a new result may be a new candidate. */
  jobMessage(msg: { type: string }): void;
  filmstrip: Filmstrip;
  comments: CommentsPanel;
  badges: DecisionBadges;
}

const REVIEWER_ROLES = new Set(["owner", "editor", "reviewer"]);

export function mountReview(editor: Editor, boot: ReviewBoot, surface: HTMLElement, clips: ClipHooks | null = null): ReviewHandles {
  const board = `${boot.api_base}/boards/${boot.board_id}`;
  const guest = boot.share ? new GuestLink(boot.share) : null;
  const may = (perm: string) => (guest ? guest.share.permissions.includes(perm) : perm === "view" || REVIEWER_ROLES.has(boot.role));
  const badges = new DecisionBadges(editor);
  const notifyError = (e: unknown) => editor.notify("error", e instanceof ApiError ? e.message : String(e));

  const filmstrip = new Filmstrip(editor, {
    onDecide: guest && may("approve")
      ? async (c, status) => {
          try {
            const d = await guest.decide(c.id, status);
            filmstrip.applyDecision(d);
            badges.set(d);
            editor.notify("info", "Thank you — your decision was sent to the team.");
          } catch (e) {
            notifyError(e);
          }
        }
      : undefined,
    onComment: may("comment") ? (c) => comments.openComposer({ target: "iteration", iteration: c.id }) : undefined,
    download: Boolean(guest && may("download")),
    reviewUrl: guest ? undefined : (batch) => `/boards/${boot.board_id}/review/?batch=${encodeURIComponent(batch)}`,
  });

  const backend: CommentBackend = guest
    ? guest.commentBackend()
    : {
        list: () => apiJson<ReviewComment[]>("GET", `${board}/comments`),
        add: (body) => apiJson<ReviewComment>("POST", `${board}/comments`, body),
        setResolved: (id, resolved) => apiJson<ReviewComment>("POST", `${board}/comments/${id}/${resolved ? "resolve" : "reopen"}`),
        markRead: () => apiJson<void>("POST", `${board}/comments/read`),
        unread: async () => (await apiJson<Record<string, number>>("GET", `${boot.api_base}/comments/unread`))[boot.board_id] ?? 0,
        members: boot.members ?? [],
        selfId: boot.user.id,
      };
  const comments = new CommentsPanel(editor, surface, backend, may("comment"), clips);

  let candidates: Candidate[] = [];
  const setCandidates = (list: Candidate[], batchNames?: Record<string, string>) => {
    candidates = list;
    filmstrip.setCandidates(list, batchNames);
    for (const c of list) if (c.decision) badges.set(c.decision);
  };
  const loadCandidates = async () => {
    try {
      if (guest) setCandidates(await guest.candidates());
      else {
        const review = await apiJson<ReviewList>("GET", `${board}/review`);
        setCandidates(review.groups.flatMap((g) => g.candidates), review.batches);
      }
    } catch (e) {
      notifyError(e);
    }
  };
  let reloadTimer: ReturnType<typeof setTimeout> | null = null;
  const reloadSoon = () => {
    if (reloadTimer) return;
    reloadTimer = setTimeout(() => {
      reloadTimer = null;
      void loadCandidates();
    }, 500);
  };

  // The review actions sit in the page's toolbar (main.ts), not over the canvas.
  const bar = h("div", { class: "ab-review-bar", role: "group", "aria-label": "Review" }, filmstrip.toggle);
  if (may("comment")) bar.append(comments.toolButton);
  if (!guest) bar.append(h("a", { class: "ab-btn", href: `/boards/${boot.board_id}/review/`, "data-testid": "open-review" }, "Review"));
  if (!guest && boot.role === "owner") {
    const share = new ShareDialog(board, editor, () =>
      [...editor.selection].map((id) => editor.doc.get(id)?.props?.iteration).filter((x): x is string => typeof x === "string"),
    );
    bar.append(share.button);
    document.body.append(share.element);
  }
  surface.append(badges.element, comments.overlay, comments.catcher, filmstrip.element);
  if (guest) document.body.append(guest.blocker);

  window.addEventListener("keydown", (e) => {
    const t = e.target as HTMLElement | null;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable)) return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if ((e.key === "c" || e.key === "C") && may("comment")) {
      e.preventDefault();
      e.stopImmediatePropagation();
      comments.setTool(comments.catcher.hidden);
    } else if (e.key === "Escape" && !comments.catcher.hidden) {
      comments.setTool(false);
    }
  });

  void loadCandidates();
  // Members of any role read comments (viewers without the tools); guests need "comment".
  if (!guest || may("comment")) void comments.load();
  else comments.panel.hidden = true;

  return {
    panels: [comments.panel],
    bar,
    filmstrip,
    comments,
    badges,
    receive(msg) {
      if (msg.type === "decision") {
        badges.set(msg.decision);
        filmstrip.applyDecision(msg.decision);
        if (!candidates.some((c) => c.id === msg.decision.iteration)) reloadSoon();
      } else if (msg.type === "comment") {
        comments.receive(msg.comment);
      }
    },
    socketError(code, message) {
      if (guest && LINK_DEAD_CODES.has(code)) guest.block(code, message);
    },
    jobMessage(msg) {
      if (msg.type === "iteration") reloadSoon();
      else if (msg.type === "consistency") filmstrip.applyConsistency((msg as ConsistencyMessage).results);
    },
  };
}
