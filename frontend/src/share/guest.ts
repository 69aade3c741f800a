/**
 * The guest side of a share link (`/s/<token>/`): the comment backend on the link's guest
 * API (name and e-mail asked on the first comment), guest decisions (approve / reject /
 * needs changes when the link allows), and the page-blocking message when the link stops
 * working (revoked, expired, password needed) — from an API answer or the socket.
 *
 * It must not call member endpoints: a guest has no account.
 */
import { ApiError, apiJson } from "../review/api";
import type { Candidate, Decision, DecisionStatus, ReviewComment } from "../review/types";
import type { CommentBackend } from "../ui/commentsPanel";
import { h } from "../ui/dom";

export interface ShareInfo {
  api: string;
  label?: string;
  permissions: string[];
  visibility: string;
  show_metadata: boolean;
  show_presence: boolean;
  /** Whether the team's verdicts are shown (else only the guest's own, with approve). */
  show_decisions?: boolean;
  guest_name: string;
}

/** Codes after which nothing on the page will work again without a new link or password. */
export const LINK_DEAD_CODES = new Set(["share_link_revoked", "share_link_expired", "share_link_not_found", "share_password_required"]);

export function deadLinkMessage(code: string, serverMessage: string): string {
  switch (code) {
    case "share_link_revoked":
      return "This link has been revoked, so the board is no longer shared with you. Ask the team for a new link.";
    case "share_link_expired":
      return "This link has expired. Ask the team for a new link.";
    case "share_password_required":
      return "This link needs its password again. Reload the page to enter it.";
    default:
      return serverMessage || "This link no longer works. Ask the team for a new link.";
  }
}

export class GuestLink {
  readonly blocker = h("div", { class: "ab-guest-block", hidden: true, role: "alert", "data-testid": "share-blocked" });

  constructor(readonly share: ShareInfo) {}

  /** Cover the page with a clear message; the canvas behind it is stale from now on. */
  block(code: string, message: string): void {
    this.blocker.replaceChildren(h("div", {}, h("h2", {}, "This shared board is no longer available"), h("p", { "data-testid": "share-blocked-message" }, deadLinkMessage(code, message))));
    this.blocker.hidden = false;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    try {
      return await apiJson<T>(method, `${this.share.api}${path}`, body);
    } catch (e) {
      if (e instanceof ApiError && LINK_DEAD_CODES.has(e.code)) this.block(e.code, e.message);
      throw e;
    }
  }

  async candidates(): Promise<Candidate[]> {
    const board = await this.call<{ candidates: Candidate[] }>("GET", "/board");
    return board.candidates;
  }

  decide(iteration: string, status: DecisionStatus): Promise<Decision> {
    return this.call<Decision>("PUT", `/iterations/${iteration}/decision`, { status });
  }

  commentBackend(): CommentBackend {
    return {
      list: () => this.call<ReviewComment[]>("GET", "/comments"),
      add: (body) => this.call<ReviewComment>("POST", "/comments", body),
      members: [],
      selfId: null,
      guestName: this.share.guest_name || null,
    };
  }
}
