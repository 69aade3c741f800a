/**
 * Wires the Batch… command into the board page: a "Batch…" button beside Generate, the B
 * shortcut, and a "Batch over the selected frames…" button that shows while frames are
 * selected; all open one BatchDialog. When a batch starts, a toast says so.
 *
 * Wiring only (main.ts calls `mountBatches` once, for members who may edit); the dialog is
 * batches/dialog.ts.
 */
import "./batches.css";
import type { Editor } from "../editor";
import type { EngineInfo } from "../jobs/model";
import type { JobsHandles } from "../ui/jobsUi";
import { isTyping } from "../tools/pointer";
import { h, rafThrottle } from "../ui/dom";
import { iconButton } from "../ui/icons";
import type { BoardKit } from "../ui/kitBadge";
import type { Toasts } from "../ui/overlay";
import { BatchDialog, selectionTargets } from "./dialog";
import type { BatchSummary } from "./preview";
import { jobsText } from "./spec";

export interface BatchBoot {
  board_id: string;
  api_base: string;
  engines?: EngineInfo[];
  /** ANCHORBOARD_BATCH_MAX_JOBS (the board bootstrap). */
  batch_max_jobs?: number;
}

export interface BatchHandles {
  dialog: BatchDialog;
  /** The selection's "Batch over the selected frames…" box, for the side panel. */
  selectionBox: HTMLElement;
}

export function mountBatches(editor: Editor, jobs: JobsHandles, boot: BatchBoot, toasts: Toasts, kit: () => BoardKit | null): BatchHandles {
  let storage: Storage | null = null;
  try {
    storage = window.localStorage;
  } catch {
    storage = null; // storage disabled: the dialog forgets its draft on reload
  }
  const dialog = new BatchDialog({
    editor,
    boardId: boot.board_id,
    apiBase: boot.api_base,
    engines: boot.engines ?? [],
    kit,
    maxJobs: boot.batch_max_jobs ?? null,
    panel: () => jobs.generation.settings(),
    storage,
    started: (summary) => started(summary),
  });
  const started = (s: BatchSummary) => {
    const text = `Batch “${s.name}” started: ${jobsText(s.accepted)} queued${s.refused ? `, ${s.refused} refused` : ""}.`;
    // The board's progress dock shows it at once; the board's batches page lists its batches.
    const link = h("a", { href: `/boards/${boot.board_id}/batches/`, class: "ab-toast-action", "data-testid": "batch-started-link" }, "This board's batches");
    const content = h("span", {}, `${text} `, link);
    toasts.show("info", content, { dismissible: true, ms: 12000, className: "ab-batch-toast" });
  };

  const open = iconButton({ icon: "batch", label: "Run these settings as a batch: values, seeds, engines and targets", keys: "B", text: "Batch…", variant: "secondary", testid: "batch-open", onClick: () => dialog.open() });
  jobs.generation.element.querySelector('[data-testid="gen-submit"]')?.after(open);

  // The selection's own entry: its frames (or its bounds) become the targets.
  const overSelection = iconButton({ icon: "batch", label: "A batch with each selected frame as a target", text: "Batch over the selected frames…", variant: "secondary", testid: "batch-open-selection", onClick: () => dialog.open(selectionTargets(editor)) });
  const selectionBox = h("section", { class: "ab-panel ab-batch-selection", "aria-label": "Batch over the selected frames", hidden: true, "data-testid": "batch-selection" }, overSelection);
  // Shown while frames are selected: they are what a batch usually runs over.
  const refresh = () => {
    const frames = editor.canEdit ? selectionTargets(editor).filter((t) => "item_id" in t).length : 0;
    selectionBox.hidden = frames === 0;
    overSelection.querySelector(".ab-ibtn-text")!.textContent = `Batch over ${frames === 1 ? "the selected frame" : `the ${frames} selected frames`}…`;
  };
  editor.on("selection", rafThrottle(refresh));
  editor.on("editable", () => {
    open.hidden = !editor.canEdit;
    refresh();
  });
  open.hidden = !editor.canEdit;
  refresh();

  window.addEventListener("keydown", (e) => {
    if (isTyping(e) || e.metaKey || e.ctrlKey || e.altKey || e.shiftKey) return;
    if ((e.key === "b" || e.key === "B") && editor.canEdit && !dialog.isOpen) {
      dialog.open();
      e.preventDefault();
    }
  });
  return { dialog, selectionBox };
}
