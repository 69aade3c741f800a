/**
 * The batches pages' script (the one Vite entry of both). A board's page
 * (templates/batches/batches.html), live: every few seconds it reads the same
 * page of `GET /api/v1/boards/{id}/batches` and brings each row's state, bar, counts, time left,
 * end time and buttons up to date; a batch that started since the page was loaded is offered
 * as a link (the page's order would shift under the reader otherwise). The Cancel form asks
 * first. Without JavaScript the page is a correct snapshot and its forms still work. The
 * team's page (templates/batches/team_batches.html) is kept live by ./teamLive.ts.
 *
 * It must not decide who may steer a batch: the server renders the forms for editors only.
 */
import { apiJson } from "../review/api";
import type { BatchPage } from "./api";
import { noteNewBatches, pollWhileVisible, updateRow } from "./rows";
import { mountTeamBatchesPage } from "./teamLive";
import "./progress.css";

export function mountBatchesPage(section: HTMLElement): void {
  const url = section.dataset.api;
  if (!url) return;
  const live = section.querySelector<HTMLElement>("[data-testid=batches-live]");
  const firstPage = section.dataset.page === "1";

  const refresh = async (): Promise<void> => {
    const page = await apiJson<BatchPage>("GET", url);
    const rows = new Map<string, HTMLElement>();
    for (const row of section.querySelectorAll<HTMLElement>("tr[data-batch]")) rows.set(row.dataset.batch ?? "", row);
    let unknown = 0;
    for (const batch of page.items) {
      const row = rows.get(batch.id);
      if (row) updateRow(row, batch);
      else unknown += 1;
    }
    if (firstPage) noteNewBatches(live, unknown);
  };
  pollWhileVisible(refresh);

  section.addEventListener("submit", (e) => {
    const form = e.target as HTMLFormElement;
    const question = form.dataset.confirm;
    if (question && !window.confirm(question)) e.preventDefault();
  });
}

// One entry for both pages: the team's page says where its live rows are (data-live).
const section = document.getElementById("batches");
if (section?.dataset.live) mountTeamBatchesPage(section);
else if (section) mountBatchesPage(section);
