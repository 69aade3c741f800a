/**
 * Entry point of the board page: reads the "board-bootstrap" JSON the Django view embeds,
 * builds the layout, wires editor ↔ renderer ↔ realtime connection ↔ panels, and exposes
 * `window.__anchorboard` for measurement and browser tests.
 *
 * Wiring only: behaviour lives in the modules it imports.
 */
import "./styles.css";
import { Editor } from "./editor";
import { BoardConnection, absoluteWsUrl } from "./realtime/connection";
import { SyncState } from "./realtime/sync";
import { KonvaRenderer } from "./render/konvaRenderer";
import { PointerInput, isTyping } from "./tools/pointer";
import { resolveShortcut, runCommand } from "./tools/shortcuts";
import { TouchInput } from "./tools/touch";
import { buildAnchorsPanel } from "./ui/anchorsPanel";
import { ExportToasts } from "./ui/exportsToast";
import { ExportDialog, startExport } from "./exports/exportDialog";
import { historyPsdRequest } from "./exports/request";
import { apiJson } from "./review/api";
import { h } from "./ui/dom";
import { buildHelp } from "./ui/help";
import { buildLayersPanel } from "./ui/layersPanel";
import { PHONE_QUERY, mountPanelLayout } from "./ui/layout";
import { buildMinimap } from "./ui/minimap";
import { installAnnouncer } from "./ui/announcer";
import { Toasts, type ToastHandle, installTooltips, layer } from "./ui/overlay";
import { PresenceLayer } from "./ui/presence";
import { buildPropertiesPanel } from "./ui/propertiesPanel";
import { attachTextEditor } from "./ui/textEditor";
import { buildToolbar } from "./ui/toolbar";
import { Uploads } from "./ui/uploads";
import { type JobsHandles, mountJobs } from "./ui/jobsUi";
import { type BoardKit, KitFollower } from "./ui/kitBadge";
import type { EngineInfo } from "./jobs/model";
import { type ReviewBoot, type ReviewHandles, mountReview } from "./review/boardReview";
import { mountBatches } from "./batches/mount";
import { type BatchDock, mountBatchDock } from "./batches/dock";

interface Bootstrap {
  board_id: string;
  board_name: string;
  ws_url: string;
  api_base: string;
  role: string;
  can_edit: boolean;
  user: { id: number | string; name: string };
  /** Engines and their capabilities, for the generation panel (docs/jobs.md). */
  engines?: EngineInfo[];
  /** Mentionable members and, on a share link, the link's settings (docs/review.md). */
  members?: ReviewBoot["members"];
  share?: ReviewBoot["share"];
  /** The board's brand kit: the top bar's badge, the generation panel (docs/governance.md). */
  brand_kit?: BoardKit | null;
  /** The most jobs one batch may make (the Batch… dialog, docs/batches.md). */
  batch_max_jobs?: number;
  /** The board's atlas index (render/atlas.ts, docs/assets.md "Atlas sheets"). */
  atlas_url?: string;
}

function readBootstrap(): Bootstrap {
  const el = document.getElementById("board-bootstrap");
  if (!el?.textContent) throw new Error("board-bootstrap is missing from the page");
  return JSON.parse(el.textContent) as Bootstrap;
}

function mount(root: HTMLElement, boot: Bootstrap): void {
  // role=application: a screen reader passes keys through to the canvas shortcuts.
  const surface = h("div", {
    class: "ab-surface",
    id: "ab-canvas",
    tabindex: "0",
    role: "application",
    "aria-roledescription": "canvas",
    "aria-label": `Canvas of ${boot.board_name}`,
    "aria-describedby": "ab-canvas-keys",
    // Where the keyboard goes when what had it is gone (ui/focusReturn.ts).
    "data-focus-home": true,
  });
  const canvasKeys = h(
    "p",
    { class: "visually-hidden", id: "ab-canvas-keys" },
    boot.can_edit
      ? "Arrows move the selection. R starts a job region; then Enter places it over the selection or the view. Question mark lists every shortcut."
      : "Plus and minus zoom; Shift+1 fits the board. Question mark lists every shortcut.",
  );
  const stageHost = h("div", { class: "ab-stage" });
  surface.append(stageHost);

  const sync = new SyncState();
  const renderer = new KonvaRenderer(stageHost);
  // The zoomed-out board from a few atlas sheets instead of one request per image.
  if (boot.atlas_url) renderer.useAtlas(boot.atlas_url);
  const editor = new Editor(sync, renderer, boot.can_edit);
  installTooltips();
  installAnnouncer();
  const toasts = new Toasts();
  // The user's own exports: progress while they run, a Download link when ready (ui/exportsToast).
  const cancelExport = async (id: string) => {
    await apiJson("POST", `${boot.api_base}/exports/${id}/cancel`);
  };
  const exportToasts = new ExportToasts(toasts, boot.share ? undefined : cancelExport);
  // The Export… dialog (exports/exportDialog.ts): members only, any role.
  const exportDialog = boot.share ? null : new ExportDialog(editor, boot.api_base, boot.board_id);
  // One info notice at a time ("Undo Move"); errors stack (at most three) until dismissed.
  let info: ToastHandle | null = null;
  editor.on("notice", () => {
    const n = editor.lastNotice;
    if (!n) return;
    if (n.kind === "info") {
      info?.dismiss();
      info = toasts.show("info", n.text, { ms: 2200, className: "ab-notice" });
      return;
    }
    const errors = [...toasts.element.querySelectorAll(".ab-notice[data-kind=error]")];
    if (errors.length >= 3) errors[0]?.remove();
    toasts.show("error", n.text, { ms: 12000, className: "ab-notice" });
  });

  let presence: PresenceLayer | null = null;
  let jobs: JobsHandles | null = null;
  let review: ReviewHandles | null = null;
  let brandKit: KitFollower | null = null;
  let batchDock: BatchDock | null = null;
  let dropped = false;
  const connection = new BoardConnection(absoluteWsUrl(boot.ws_url, window.location), sync, {
    onStatus: (s, detail) => {
      toolbar.setStatus(s, detail);
      if (s === "online" || s === "offline" || s === "denied") jobs?.connectionChanged(s === "online");
      if (s === "offline") dropped = true;
      if (s === "online" && dropped) {
        dropped = false;
        void brandKit?.reconnected();
        void batchDock?.load();
      }
      if (s === "denied") {
        editor.setEditable(false);
        editor.notify("error", detail);
      }
    },
    onWelcome: (msg) => {
      if (msg.can_edit !== editor.canEdit) editor.setEditable(msg.can_edit);
      batchDock?.setEditable(msg.can_edit);
    },
    onSynced: () => {
      presence?.resend();
      if (firstSync) {
        firstSync = false;
        editor.zoomToFit();
      }
    },
    onPresence: (msg) => presence?.receive(msg),
    onPresenceLeave: (msg) => presence?.leave(msg.user.id),
    onError: (code, message) => {
      editor.notify("error", message);
      review?.socketError(code, message);
    },
    onJobMessage: (msg) => {
      jobs?.receive(msg);
      review?.jobMessage(msg);
    },
    onReviewMessage: (msg) => review?.receive(msg),
    onBrandKit: (msg) => brandKit?.receive(msg.brand_kit),
    onExport: (msg) => exportToasts.receive(msg.export),
    onBatchProgress: (msg) => {
      batchDock?.receive(msg.batch);
      jobs?.store.nameBatch(msg.batch.id, msg.batch.name);
    },
    onJobError: (msg) => jobs?.receiveError(msg),
  });
  let firstSync = true;
  sync.events.onRejected = (batch, _code, message) => editor.batchRejected(batch.batchId, message);
  editor.connect(connection);
  // Guests never send presence: the share socket refuses it (read_only) and counts every
  // message against the link's budget. They still see the team's cursors if the link says so.
  const presenceLink = boot.share ? ({ sendVolatile: () => {} } as unknown as BoardConnection) : connection;
  presence = new PresenceLayer(editor, presenceLink, String(boot.user.id));
  const pointer = new PointerInput(editor, surface, (b) => presence?.setCursor(b));
  new TouchInput(editor, surface, pointer);
  const uploads = new Uploads(editor, `${boot.api_base}/boards/${boot.board_id}/assets`, surface, () => pointer.cursorBoard, toasts);
  const help = buildHelp();
  const toolbar = buildToolbar(editor, {
    onUpload: () => uploads.open(),
    onHelp: help.toggle,
    onTogglePresence: boot.share ? undefined : (hidden) => presence?.setHidden(hidden),
  });
  surface.append(presence.element, layer(buildMinimap(editor), "panel"), toasts.element);
  attachTextEditor(editor, surface);

  const left = h("aside", { class: "ab-side left" }, buildLayersPanel(editor));
  // Share-link guests get no jobs UI: it is for making results, and its API is members-only.
  jobs = boot.share ? null : mountJobs(editor, connection, boot, surface);
  if (!boot.share) {
    brandKit = new KitFollower(boot.brand_kit ?? null, `${boot.api_base}/boards/${boot.board_id}/brand-kit`);
    brandKit.onChange((kit) => jobs?.generation.setKit(kit));
  }
  review = mountReview(editor, boot, surface, renderer.videoClips);
  // Batch progress (docs/batches.md): members only, like the jobs UI.
  if (!boot.share) batchDock = mountBatchDock(surface, boot, (message) => editor.notify("error", message));
  if (jobs) {
    // The history panel filters by review decision: the review UI keeps them current.
    const { badges } = review;
    const history = jobs.history;
    history.setDecisions((id) => badges.get(id));
    badges.onChange(() => history.decisionsChanged());
    // "Export history as PSD" asks the way the Export… dialog does (docs/exports.md).
    history.setHistoryExport((job) => startExport(editor, boot.api_base, boot.board_id, historyPsdRequest(job)));
  }
  // Anchors are the team's generation inputs: not part of what a client is shown.
  const anchors = boot.share ? [] : [buildAnchorsPanel(editor)];
  // Batch… beside Generate, on B, and over the selection (batches/mount.ts).
  const batches = jobs ? mountBatches(editor, jobs, boot, toasts, () => (brandKit ? brandKit.current : (boot.brand_kit ?? null))) : null;
  const right = h("aside", { class: "ab-side right" }, buildPropertiesPanel(editor), ...(batches ? [batches.selectionBox] : []), ...anchors, ...(jobs?.panels ?? []), ...review.panels);
  if (jobs) toolbar.addTool(jobs.regionButton);
  toolbar.addActions(review.bar);
  if (exportDialog) toolbar.addActions(h("div", { class: "ab-export-bar", role: "group", "aria-label": "Export" }, exportDialog.button));
  const body = h("div", { class: "ab-body" }, left, surface, right);
  const layout = mountPanelLayout(body, left, right);
  toolbar.addPanelToggles(...(layout.toggles as [HTMLElement, HTMLElement]));
  // A phone has room for one thing over the canvas: the filmstrip or a panel sheet.
  const phone = window.matchMedia(PHONE_QUERY);
  review.filmstrip.toggle.addEventListener("click", () => {
    if (phone.matches && !review?.filmstrip.element.hidden) layout.closeFloating();
  });
  // History opens full screen on a phone: the Details sheet it was opened from closes, and
  // the keyboard moves into the history (its button is now in a closed, inert sheet).
  body.addEventListener("ab:floating-open", (e) => {
    if (!phone.matches || !(e.target instanceof HTMLElement)) return;
    const panel = e.target;
    layout.closeFloating();
    if (!panel.contains(document.activeElement)) panel.querySelector<HTMLElement>("button:not([hidden])")?.focus();
  });
  body.addEventListener("ab:layout", () => {
    if (phone.matches && (layout.isOpen("left") || layout.isOpen("right"))) review?.filmstrip.setOpen(false);
  });
  root.replaceChildren(toolbar.element, body, canvasKeys, help.element, uploads.input);
  // A skip link into a folded panel (tablet drawer, phone sheet) opens it first: a closed
  // drawer is inert and could not take the focus.
  for (const link of document.querySelectorAll<HTMLAnchorElement>(".skip-link")) {
    link.addEventListener("click", () => {
      document.getElementById(link.hash.slice(1))?.dispatchEvent(new CustomEvent("ab:reveal", { bubbles: true }));
    });
  }

  const resize = () => {
    const r = surface.getBoundingClientRect();
    editor.setViewportSize({ width: Math.max(1, Math.floor(r.width)), height: Math.max(1, Math.floor(r.height)) });
  };
  new ResizeObserver(resize).observe(surface);
  resize();
  editor.setCamera({ panX: editor.viewport.width / 2, panY: editor.viewport.height / 2, zoom: 1 });

  window.addEventListener("keydown", (e) => {
    if (isTyping(e)) return;
    const command = resolveShortcut(e);
    const openExport = exportDialog ? () => exportDialog.open() : undefined;
    if (command && runCommand(editor, command, help.toggle, openExport)) e.preventDefault();
  });

  // Edits not yet acknowledged live only in this tab: warn before closing it.
  window.addEventListener("beforeunload", (e) => {
    if (sync.pendingBatches.length) e.preventDefault();
  });

  connection.start();
  window.__anchorboard = {
    editor,
    doc: editor.doc,
    sync,
    connection,
    renderer,
    presence,
    jobs,
    batches,
    review,
    batchDock,
    layout,
    exportDialog,
    stats: () => ({
      ...renderer.stats(),
      documentItems: editor.doc.size,
      zoom: editor.camera.zoom,
      revision: sync.revision,
      pending: sync.pendingBatches.length,
      status: connection.currentStatus,
      others: presence?.count ?? 0,
    }),
  };
}

declare global {
  interface Window {
    __anchorboard?: Record<string, unknown> & { stats: () => Record<string, unknown> };
  }
}

const root = document.getElementById("anchorboard-canvas");
if (root) mount(root, readBootstrap());
