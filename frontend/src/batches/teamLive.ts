/**
 * The team's batches page (templates/batches/team_batches.html), live: every few seconds it
 * asks `GET /batches/live/` (canvas/batches/team_live.py) about the rows on the screen — with
 * the page's filter, the rows' ids and the time the page was read — and brings each row's
 * state, bar, counts and end time up to date; batches started since that match the filter are
 * offered as a link rather than shifting the rows. It sends the last answer's ETag, so a poll
 * that finds nothing new costs a bodiless 304. Without JavaScript the page is a correct snapshot.
 *
 * It must not widen what the page shows: the server answers only for the visitor's boards.
 */
import type { BatchView } from "./model";
import { noteNewBatches, pollWhileVisible, updateRow } from "./rows";

/** The answer of `GET /batches/live/`. */
export interface TeamLiveAnswer {
  /** Batches matching the filter started after `since`. */
  new: number;
  items: BatchView[];
}

/** One poll's URL: the page's own (its filter), the rows' batch ids and the page's read time. */
export function liveUrl(base: string, ids: readonly string[], since: string, origin = "http://x"): string {
  const url = new URL(base, origin);
  url.searchParams.delete("batch");
  for (const id of ids) url.searchParams.append("batch", id);
  if (since) url.searchParams.set("since", since);
  return `${url.pathname}${url.search}`;
}

export function mountTeamBatchesPage(section: HTMLElement): void {
  const base = section.dataset.live;
  if (!base) return;
  const live = section.querySelector<HTMLElement>("[data-testid=batches-live]");
  const firstPage = section.dataset.page === "1";
  const rows = new Map<string, HTMLElement>();
  for (const row of section.querySelectorAll<HTMLElement>("tr[data-batch]")) rows.set(row.dataset.batch ?? "", row);
  const url = liveUrl(base, [...rows.keys()], section.dataset.since ?? "", window.location.origin);
  let etag: string | null = null;

  const refresh = async (): Promise<void> => {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (etag) headers["If-None-Match"] = etag;
    // no-store: the ETag is this script's to send; the browser's cache must not answer for it.
    const res = await fetch(url, { headers, credentials: "same-origin", cache: "no-store" });
    if (res.status === 304) return;
    if (!res.ok) throw new Error(`The server answered ${res.status}.`);
    etag = res.headers.get("ETag");
    const answer = (await res.json()) as TeamLiveAnswer;
    for (const batch of answer.items) {
      const row = rows.get(batch.id);
      if (row) updateRow(row, batch);
    }
    if (firstPage) noteNewBatches(live, answer.new);
  };
  pollWhileVisible(refresh);
}
