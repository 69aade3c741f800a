/**
 * What the batches pages (the board's and the team's) share to stay live: a batch's row
 * brought up to date in place from a newer view of the batch (state, bar, counts, time left,
 * end time, which steering forms show; only the fields the row has are written — the team's
 * rows have no time left and no forms), the polling loop, and the note about batches started
 * since the page was loaded.
 *
 * It must not decide who may steer a batch: the server renders the forms.
 */
import { type BatchView, SEGMENTS, countsText, etaText, finishedJobs, isEnded, segmentShares, stateWord, valueText } from "./model";

/** How often the page asks for fresh counts while it is visible. */
export const POLL_MS = 4000;

export function updateRow(row: HTMLElement, batch: BatchView & { eta_basis?: string }): void {
  row.dataset.state = batch.state;
  const state = row.querySelector<HTMLElement>("[data-field=state]");
  if (state) {
    state.textContent = stateWord(batch.state);
    state.className = `batch-state ${batch.state}`;
  }
  const bar = row.querySelector<HTMLElement>("[role=progressbar]");
  if (bar) {
    const shares = segmentShares(batch);
    for (const s of SEGMENTS) {
      const seg = bar.querySelector<HTMLElement>(`.seg.${s}`);
      if (seg) seg.style.width = `${shares[s]}%`;
    }
    bar.setAttribute("aria-valuemax", String(batch.jobs));
    bar.setAttribute("aria-valuenow", String(finishedJobs(batch)));
    bar.setAttribute("aria-valuetext", valueText(batch));
  }
  const counts = row.querySelector<HTMLElement>("[data-field=counts]");
  if (counts) {
    const of = document.createElement("span");
    of.className = "muted";
    of.textContent = `of ${batch.jobs}`;
    counts.replaceChildren(`${countsText(batch)} `, of);
  }
  const eta = row.querySelector<HTMLElement>("[data-field=eta]");
  if (eta) {
    eta.textContent = isEnded(batch) ? "—" : batch.eta_seconds === null ? "unknown" : etaText(batch.eta_seconds) || "—";
    eta.title = batch.eta_basis ?? "";
  }
  const finished = row.querySelector<HTMLElement>("[data-field=finished]");
  if (finished && batch.finished_at && !finished.textContent?.trim()) {
    const time = document.createElement("time");
    time.dateTime = batch.finished_at;
    time.textContent = batch.finished_at.slice(0, 16).replace("T", " ");
    finished.replaceChildren("ended ", time);
  }
  const show = { pause: batch.state === "running", resume: batch.state === "paused", cancel: !isEnded(batch) };
  for (const [action, visible] of Object.entries(show)) {
    const form = row.querySelector<HTMLFormElement>(`form[data-action=${action}]`);
    if (form) form.hidden = !visible;
  }
}


/** Call `refresh` every POLL_MS while the tab is visible; after a failure (offline, signed
 * out) try again, less often. */
export function pollWhileVisible(refresh: () => Promise<void>): void {
  const tick = (): void => {
    if (document.hidden) {
      setTimeout(tick, POLL_MS);
      return;
    }
    refresh().then(
      () => setTimeout(tick, POLL_MS),
      () => setTimeout(tick, POLL_MS * 2),
    );
  };
  setTimeout(tick, POLL_MS);
}

/** "2 new batches started since this page was loaded. Show them" in the page's polite live
 * region — the rows are not shifted under the reader; written only when the number changes,
 * so it is said once. */
export function noteNewBatches(live: HTMLElement | null, count: number): void {
  if (!live || live.dataset.count === String(count)) return;
  live.dataset.count = String(count);
  if (!count) {
    live.replaceChildren();
    return;
  }
  const link = document.createElement("a");
  link.href = window.location.pathname + window.location.search;
  link.textContent = "Show them";
  live.replaceChildren(`${count} new batch${count === 1 ? "" : "es"} started since this page was loaded. `, link);
}
