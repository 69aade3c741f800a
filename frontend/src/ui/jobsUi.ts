/**
 * Wires the region-jobs UI into the board page: the Region tool (R), the generation
 * panel, the mask layer, progress cards and queue, the staging strip, the history panel
 * and the compare dialog, all sharing one JobStore (fed by the board socket) and one
 * JobClient (requests over the same socket).
 *
 * Wiring only; behaviour lives in the modules it builds. main.ts calls `mountJobs` once.
 */
import "../jobs/jobs.css";
import type { Editor } from "../editor";
import type { Rect } from "../model/geometry";
import { BatchApi } from "../batches/api";
import { JobClient, JobResync, type RequestSink, httpJobApi } from "../jobs/client";
import { type EngineInfo, type IterationPayload, type JobPayload, JobStore } from "../jobs/model";
import { type Spoken, jobAnnouncement } from "../jobs/announce";
import { ResultActions } from "../jobs/resultActions";
import type { ErrorMessage, JobMessage } from "../protocol";
import { isTyping } from "../tools/pointer";
import { csrfToken, uploadImage } from "../upload";
import { announce } from "./announcer";
import { CompareDialog } from "./compare";
import { h } from "./dom";
import { FallbackControl } from "./fallbackControl";
import { GenerationPanel } from "./generationPanel";
import { HistoryPanel } from "./historyPanel";
import { iconButton } from "./icons";
import type { BoardKit } from "./kitBadge";
import { JobProgress } from "./jobProgress";
import { MaskLayer } from "./maskLayer";
import { RegionTool } from "./regionTool";
import { StagingStrip } from "./stagingStrip";

export interface JobsBoot {
  board_id: string;
  api_base: string;
  engines?: EngineInfo[];
  /** The caller's role on the board; only owners change the fallback chain. */
  role?: string;
  /** Whose jobs are spoken to a screen reader (everyone's when absent). */
  user?: { id: number | string };
  /** The board's brand kit (its engine, variables and locks shape the generation panel). */
  brand_kit?: BoardKit | null;
}

export interface JobsHandles {
  receive(msg: JobMessage): void;
  receiveError(msg: ErrorMessage): void;
  /** The socket dropped or came back: open requests will not be answered; reload state. */
  connectionChanged(online: boolean): void;
  /** Side-panel sections (generation, queue). */
  panels: HTMLElement[];
  store: JobStore;
  client: JobClient;
  /** Apply / discard / restore as undoable actions of this user. */
  results: ResultActions;
  generation: GenerationPanel;
  staging: StagingStrip;
  history: HistoryPanel;
  compare: CompareDialog;
  setRegion(region: Rect | null): void;
  /** The Region tool's toolbar button (R). */
  regionButton: HTMLButtonElement;
}

export function mountJobs(editor: Editor, connection: RequestSink, boot: JobsBoot, surface: HTMLElement): JobsHandles {
  const store = new JobStore();
  const client = new JobClient(connection);
  const results = new ResultActions(editor, store, (msg) => client.request(msg));
  const compare = new CompareDialog();
  const assetUrl = (id: string) => `${boot.api_base}/assets/${id}/file`;
  const mask = new MaskLayer(editor, surface);
  const setRegion = (region: Rect | null) => {
    regionTool.setRegion(region);
    generation.setRegion(region);
  };
  const regionTool = new RegionTool(editor, surface, (r) => setRegion(r));
  const uploadMask = async (png: Blob): Promise<string> => {
    const file = new File([png], "inpaint-mask.png", { type: "image/png" });
    const { promise } = uploadImage(`${boot.api_base}/boards/${boot.board_id}/assets`, file, csrfToken(document.cookie), () => {});
    const assets = await promise;
    if (!assets[0]) throw new Error("The mask upload returned no asset.");
    return assets[0].id;
  };
  const generation = new GenerationPanel({
    editor,
    engines: boot.engines ?? [],
    client,
    mask,
    startRegionTool: () => regionTool.setActive(true),
    setRegion,
    uploadMask,
    kit: boot.brand_kit ?? null,
  });
  const refine = (it: IterationPayload) => generation.refine(it.id, it.region, `result ${it.index + 1}`);
  const progress = new JobProgress(editor, store, client);
  store.subscribe(() => {
    for (const job of store.jobs.values()) generation.jobChanged(job);
  });
  // Live-region announcements of this user's jobs. A job first seen already finished (the
  // history loaded on connect) is remembered silently: it is news to no one.
  const spoken = new Map<string, Spoken>();
  store.subscribe(() => {
    for (const job of store.jobs.values()) {
      if (boot.user && String(job.created_by) !== String(boot.user.id)) continue;
      const before = spoken.get(job.id) ?? null;
      const said = jobAnnouncement(job, before, store.resultsOf(job.id).length);
      if (!said) continue;
      spoken.set(job.id, said.spoken);
      if (before || job.state === "queued" || job.state === "running") announce(said.text, said.urgent);
    }
  });
  // A batch's jobs carry only its id: its name (for the markers, queue lines and strip
  // summaries) comes from `batch_progress` (main.ts) or, for a batch not heard of, one read.
  const batchApi = new BatchApi(boot.api_base, boot.board_id);
  const askedNames = new Set<string>();
  store.subscribe(() => {
    for (const job of store.jobs.values()) {
      const id = job.batch;
      if (!id || askedNames.has(id) || store.batchNames.has(id)) continue;
      askedNames.add(id);
      batchApi.one(id).then((b) => store.nameBatch(id, b.name), () => {});
    }
  });
  const reviewUrl = (batch: string) => `/boards/${boot.board_id}/review/?batch=${encodeURIComponent(batch)}`;
  const staging = new StagingStrip(editor, store, results, compare, assetUrl, refine, reviewUrl);
  const history = new HistoryPanel(editor, store, client, results, compare, assetUrl, refine, reviewUrl);

  const historyButton = iconButton({ icon: "history", label: "Every result of this board: search, filters, lineage", text: "History", variant: "secondary", testid: "history-open", onClick: () => history.toggle() });
  const regionButton = iconButton({ icon: "region", label: "Region for a job", keys: "R", variant: "tool", testid: "tool-region", onClick: () => regionTool.setActive(!regionTool.active) });
  regionButton.dataset.tip = "Region for a job: drag over the part to change (R)";
  regionButton.setAttribute("aria-pressed", "false");
  regionButton.hidden = !editor.canEdit;
  regionTool.onActiveChange((on) => regionButton.setAttribute("aria-pressed", String(on)));
  editor.on("editable", () => (regionButton.hidden = !editor.canEdit));
  generation.element.querySelector("h3")?.after(h("div", { class: "ab-gen-row" }, historyButton));
  const engineMenu = generation.element.querySelector<HTMLSelectElement>('[data-testid="gen-engine"]');
  const fallbacks = new FallbackControl(
    `${boot.api_base}/boards/${boot.board_id}/engine-fallbacks`,
    boot.engines ?? [],
    () => engineMenu?.value ?? "",
    boot.role === "owner",
  );
  engineMenu?.addEventListener("change", () => fallbacks.refresh());
  generation.element.querySelector('[data-testid="gen-engine-note"]')?.after(fallbacks.element);

  // In the canvas-overlay layer later siblings draw on top: the staged ghost, then the
  // region outline, then progress cards (their Cancel must stay clickable).
  surface.append(staging.element, regionTool.outline, progress.overlay, mask.element, regionTool.catcher, history.element, compare.element);
  // Strips and panels move: keep progress controls clear of them.
  new ResizeObserver(() => progress.render()).observe(staging.element.querySelector(".ab-staging-dock") ?? staging.element);

  window.addEventListener("keydown", (e) => {
    // A modal dialog (Batch…, Share) keeps its keys: R, G, S and Esc belong to the board.
    if (isTyping(e) || e.metaKey || e.ctrlKey || e.altKey || (e.target instanceof Element && e.target.closest("[aria-modal=true]"))) return;
    if (e.key === "Escape") {
      if (compare.isOpen) compare.close();
      else if (regionTool.active) regionTool.setActive(false);
      else if (mask.isPainting) mask.setPainting(false);
      else return;
      e.stopImmediatePropagation();
      return;
    }
    if ((e.key === "r" || e.key === "R") && !e.shiftKey && editor.canEdit) {
      regionTool.setActive(!regionTool.active);
      if (regionTool.active) announce("Region tool: drag over the part to change, or press Enter to place a region over the selection.");
      e.preventDefault();
    }
    // G: straight to the prompt, from anywhere (the panel is many Tab stops away).
    if ((e.key === "g" || e.key === "G") && !e.shiftKey) {
      generation.focusPrompt();
      e.preventDefault();
    }
    // S: to the staged results' Apply button (they float over the canvas, far in Tab order).
    if ((e.key === "s" || e.key === "S") && !e.shiftKey && staging.focus()) e.preventDefault();
  }, true);

  // Re-reads what the socket may have missed: the board on every (re)connect, one job
  // when its messages show a gap (jobs/client.ts).
  const resync = new JobResync(store, httpJobApi(boot.api_base, boot.board_id), (what, err) => {
    if (what === "board") {
      editor.notify("error", `The job history could not be loaded (${err.message}); reload the page to try again.`);
    }
  });

  return {
    receive(msg) {
      if (msg.type === "job_accepted" || msg.type === "request_done") client.receive(msg);
      store.receive(msg);
    },
    receiveError(msg) {
      if (!client.receive(msg)) editor.notify("error", msg.message);
    },
    connectionChanged(online) {
      if (online) void resync.reload(); // after a drop, broadcasts may have been missed
      else client.failAll();
    },
    panels: [generation.element, progress.panel],
    store,
    client,
    results,
    generation,
    staging,
    history,
    compare,
    setRegion,
    regionButton,
  };
}
