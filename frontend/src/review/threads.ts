/**
 * Comment threads: upsert comments from the API and live messages (by id), group them into
 * threads (root + replies, one level deep as on the server), and count unread ones (by
 * others, after my read watermark).
 *
 * Pure data; the comments panel renders it.
 */
import type { ReviewComment } from "./types";

export interface Thread {
  root: ReviewComment;
  replies: ReviewComment[];
}

export class CommentStore {
  private readonly byId = new Map<string, ReviewComment>();

  upsert(c: ReviewComment): void {
    this.byId.set(c.id, { ...this.byId.get(c.id), ...c });
  }

  get(id: string): ReviewComment | undefined {
    return this.byId.get(id);
  }

  get size(): number {
    return this.byId.size;
  }

  /** Threads, newest activity first; replies oldest first. */
  threads(opts: { includeResolved?: boolean } = {}): Thread[] {
    const roots = new Map<string, Thread>();
    const all = [...this.byId.values()].sort((a, b) => a.created_at.localeCompare(b.created_at));
    for (const c of all) if (!c.parent) roots.set(c.id, { root: c, replies: [] });
    for (const c of all) if (c.parent) roots.get(c.parent)?.replies.push(c);
    const last = (t: Thread) => (t.replies[t.replies.length - 1] ?? t.root).created_at;
    return [...roots.values()]
      .filter((t) => opts.includeResolved !== false || !t.root.resolved)
      .sort((a, b) => last(b).localeCompare(last(a)));
  }

  /** Comments by someone other than `selfId` written after `since` (ISO time; null = all). */
  unread(selfId: string | number | null, since: string | null): number {
    let n = 0;
    for (const c of this.byId.values()) {
      const mine = selfId !== null && c.author.id !== null && c.author.id !== undefined && String(c.author.id) === String(selfId);
      if (!mine && (since === null || c.created_at > since)) n += 1;
    }
    return n;
  }
}
