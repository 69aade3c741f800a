/**
 * @mentions in comment bodies: which names a body mentions (the same pattern the server
 * parses, canvas/review/comments.py MENTION) and the autocomplete of the name being typed
 * at the caret against the board's members.
 *
 * Pure functions; the comment box wires them to a textarea.
 */

export interface Member {
  username: string;
  name: string;
}

const MENTION = /(?<![\w.@])@(\w[\w.+-]{0,149})/g;

/** Lower-cased usernames mentioned in `body`, each once, sorted (trailing dots dropped). */
export function parseMentions(body: string): string[] {
  const names = new Set<string>();
  for (const m of body.matchAll(MENTION)) names.add((m[1] ?? "").replace(/\.+$/, "").toLowerCase());
  names.delete("");
  return [...names].sort();
}

/** The partial name being typed right before `caret` ("@ri|" → {start, query: "ri"}), if any. */
export function mentionAt(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const m = /(?<![\w.@])@([\w.+-]*)$/.exec(before);
  if (!m) return null;
  const query = m[1] ?? "";
  return { start: caret - query.length - 1, query };
}

/** Members whose username or name starts with (then contains) the query, best first. */
export function suggestMembers(members: Member[], query: string, limit = 6): Member[] {
  const q = query.toLowerCase();
  const scored: [number, Member][] = [];
  for (const m of members) {
    const u = m.username.toLowerCase();
    const n = m.name.toLowerCase();
    const score = u.startsWith(q) ? 0 : n.startsWith(q) || n.split(/\s+/).some((w) => w.startsWith(q)) ? 1 : u.includes(q) || n.includes(q) ? 2 : -1;
    if (score >= 0) scored.push([score, m]);
  }
  scored.sort((a, b) => a[0] - b[0] || a[1].username.localeCompare(b[1].username));
  return scored.slice(0, limit).map(([, m]) => m);
}

/** Replace the partial mention at the caret by the chosen username; returns text and caret. */
export function completeMention(text: string, caret: number, username: string): { text: string; caret: number } {
  const at = mentionAt(text, caret);
  if (!at) return { text, caret };
  const inserted = `@${username} `;
  const next = text.slice(0, at.start) + inserted + text.slice(caret).replace(/^\s/, "");
  return { text: next, caret: at.start + inserted.length };
}

/** Names mentioned that are not members (the server would refuse them with a 400). */
export function unknownMentions(body: string, members: Member[]): string[] {
  const known = new Set(members.map((m) => m.username.toLowerCase()));
  return parseMentions(body).filter((n) => !known.has(n));
}
