/**
 * The canvas's "Export…" dialog (toolbar button, ⌘/Ctrl+Shift+E): export the selected
 * images, a frame or a batch's results as a ZIP package, a PNG, a 16-bit TIFF, a layered
 * PSD or a contact sheet, with the options each kind takes. It posts
 * `POST /api/v1/boards/{id}/exports`; once the server accepts (202) the dialog closes and
 * the requester's export toast (ui/exportsToast.ts) shows progress and the Download link.
 * A refusal's sentence is shown in the dialog as the server wrote it.
 *
 * A modal `Dialog` (ui/overlay.ts): focus inside, Tab trapped, Esc and the backdrop close
 * it, focus returns to where it was; every control has a label. The request itself is
 * built by the pure `request.ts`.
 */
import type { Editor } from "../editor";
import { ApiError, apiJson } from "../review/api";
import { h } from "../ui/dom";
import { iconButton } from "../ui/icons";
import { Dialog } from "../ui/overlay";
import {
  type BatchInfo,
  type DialogChoices,
  type ExportBody,
  type ExportKind,
  KINDS,
  type Source,
  buildRequest,
  defaultChoices,
  exportSources,
  fittingKind,
  kindUnavailable,
  signable,
  sourceKey,
} from "./request";
import "./exports.css";

type Field = HTMLInputElement | HTMLSelectElement;

/**
 * Post an export and say it started; the export toast (ui/exportsToast.ts) then follows it.
 * Shared by this dialog and the History panel's "Export history as PSD" so both ask and
 * tell the same way. Rejects with the server's `ApiError` (its sentence) on a refusal.
 */
export async function startExport(editor: Editor, apiBase: string, boardId: string, body: ExportBody): Promise<void> {
  await apiJson("POST", `${apiBase}/boards/${boardId}/exports`, body);
  editor.notify("info", "Export started: its progress and the Download link appear here.");
}

let uid = 0;

export class ExportDialog {
  readonly button: HTMLButtonElement;
  readonly element: HTMLElement;
  private readonly dialog: Dialog;
  private readonly form: HTMLFormElement;
  private readonly sourceSlot = h("div", { class: "ab-export-source" });
  private readonly kindSlot = h("fieldset", { class: "ab-export-kinds" });
  private readonly optionsSlot = h("div", { class: "ab-export-options", "data-testid": "export-options" });
  private readonly error = h("p", { class: "ab-field-error", role: "alert", "data-testid": "export-error", id: `ab-export-error-${++uid}` });
  private readonly submit = h("button", { type: "submit", class: "ab-btn primary", "data-testid": "export-start" }, "Export");
  private sources: Source[] = [];
  private batches: BatchInfo[] = [];
  private choices: DialogChoices = defaultChoices(undefined);

  constructor(
    private readonly editor: Editor,
    private readonly apiBase: string,
    private readonly boardId: string,
  ) {
    this.button = iconButton({ icon: "export", label: "Export the selection, a frame or a batch", keys: "Ctrl+Shift+E", text: "Export…", variant: "secondary", testid: "export-open", onClick: () => this.open() });
    this.dialog = new Dialog({ label: "Export", className: "ab-export" });
    this.dialog.box.dataset.testid = "export-dialog";
    const close = iconButton({ icon: "close", label: "Close", keys: "Esc", testid: "export-close", onClick: () => this.dialog.close() });
    const cancel = h("button", { type: "button", class: "ab-btn", "data-testid": "export-dismiss" }, "Cancel");
    cancel.addEventListener("click", () => this.dialog.close());
    this.form = h(
      "form",
      { novalidate: true, "aria-describedby": this.error.id },
      this.sourceSlot,
      this.kindSlot,
      this.optionsSlot,
      this.error,
      h("div", { class: "ab-export-actions" }, cancel, this.submit),
    );
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.start();
    });
    this.form.addEventListener("change", (e) => this.changed(e.target));
    this.form.addEventListener("input", (e) => this.changed(e.target));
    this.dialog.box.append(h("div", { class: "ab-dialog-head" }, h("h3", {}, "Export"), close), this.form);
    this.element = this.dialog.element;
  }

  get isOpen(): boolean {
    return this.dialog.isOpen;
  }

  /** Open with the current selection as the first source; batches arrive a moment later. */
  open(): void {
    this.sources = exportSources(this.editor.doc.ordered(), this.editor.selection, this.batches);
    const previous = this.choices;
    this.choices = { ...defaultChoices(this.sources[0]), ...pick(previous), source: this.sources[0] };
    this.choices.kind = fittingKind(previous.kind, this.sources[0]);
    this.showError("");
    this.render();
    this.dialog.open(this.sourceSlot.querySelector("select"));
    void this.loadBatches();
  }

  private async loadBatches(): Promise<void> {
    try {
      const page = await apiJson<{ items: { id: string; name: string }[] }>("GET", `${this.apiBase}/boards/${this.boardId}/batches?page_size=50`);
      this.batches = page.items.map((b) => ({ id: b.id, name: b.name }));
    } catch {
      return; // batches are optional here: the other sources still work
    }
    if (!this.dialog.isOpen || !this.batches.length) return;
    const key = this.choices.source ? sourceKey(this.choices.source) : "";
    this.sources = exportSources(this.editor.doc.ordered(), this.editor.selection, this.batches);
    this.choices.source = this.sources.find((s) => sourceKey(s) === key) ?? this.sources[0];
    const focused = document.activeElement;
    this.renderSource();
    if (focused instanceof HTMLElement && !focused.isConnected) this.sourceSlot.querySelector("select")?.focus();
  }

  private render(): void {
    this.renderSource();
    this.renderKinds();
    this.renderOptions();
  }

  private renderSource(): void {
    if (!this.sources.length) {
      this.sourceSlot.replaceChildren(h("p", { class: "ab-export-empty", "data-testid": "export-nothing" }, "Nothing to export yet: select images on the board, draw a frame, or run a batch."));
      this.submit.disabled = true;
      return;
    }
    this.submit.disabled = false;
    const select = h("select", { name: "source", "data-testid": "export-source" }, ...this.sources.map((s) => h("option", { value: sourceKey(s), selected: s === this.choices.source }, s.label)));
    this.sourceSlot.replaceChildren(h("label", {}, h("span", { class: "ab-export-label" }, "Export"), select));
  }

  private renderKinds(): void {
    const rows = KINDS.map(({ kind, label }) => {
      const why = kindUnavailable(kind, this.choices.source);
      const hintId = `ab-export-hint-${kind}-${uid}`;
      const input = h("input", { type: "radio", name: "kind", value: kind, checked: kind === this.choices.kind, disabled: !!why, "aria-describedby": why ? hintId : undefined, "data-testid": `export-kind-${kind}` });
      return h("label", { class: `ab-export-kind${why ? " unavailable" : ""}` }, input, h("span", {}, label), why ? h("span", { class: "ab-export-hint", id: hintId }, why) : null);
    });
    this.kindSlot.replaceChildren(h("legend", {}, "As"), ...rows);
  }

  private renderOptions(): void {
    const c = this.choices;
    const parts: HTMLElement[] = [];
    if (c.kind === "psd") {
      parts.push(radios("depth", "Bits per channel", [["8", "8 bits"], ["16", "16 bits"]], c.depth));
    }
    if (c.kind === "png") parts.push(field("File format", select("format", [["png", "PNG"], ["jpeg", "JPEG (quality 92, no transparency)"], ["webp", "WebP"]], c.format)));
    if (c.kind === "png" || c.kind === "tiff16") {
      const size = radios("size", "Size", [["original", "Original size"], ["scale", "Scale"], ["long_edge", "Long edge"]], c.size);
      if (c.size === "scale") size.append(field("Scale (0.05–4)", h("input", { type: "number", name: "scale", min: "0.05", max: "4", step: "0.05", value: c.scale, inputmode: "decimal", "data-testid": "export-scale" })));
      if (c.size === "long_edge") size.append(field("Long edge in pixels", h("input", { type: "number", name: "longEdge", min: "16", max: "20000", step: "1", value: c.longEdge, inputmode: "numeric", "data-testid": "export-long-edge" })));
      parts.push(size);
      if (c.kind === "tiff16") parts.push(field("Compression", select("compression", [["deflate", "Deflate"], ["lzw", "LZW"]], c.compression)));
    }
    if (c.kind === "video") {
      parts.push(
        field("Video format", select("videoFormat", [["prores_4444", "ProRes 4444 .mov (alpha kept)"], ["prores_422_hq", "ProRes 422 HQ .mov"], ["mp4", "H.264 MP4"], ["png_zip", "PNG sequence (zip)"]], c.videoFormat)),
        h("p", { class: "ab-export-help" }, "Constant frame rate at the clip's own rate, Rec.709. Several clips come as a ZIP with the provenance manifest."),
      );
    }
    if (c.kind === "zip") {
      const helpId = `ab-export-template-help-${uid}`;
      parts.push(
        field("File names", h("input", { type: "text", name: "template", value: c.template, spellcheck: "false", autocomplete: "off", "aria-describedby": helpId, "data-testid": "export-template" })),
        h("p", { class: "ab-export-help", id: helpId }, "Use {campaign}, {variant}, {seed}, {w}, {h}, {asset}, {engine}, {board}, {frame}, {index}."),
        h("label", { class: "ab-export-check" }, h("input", { type: "checkbox", name: "sidecars", checked: c.sidecars, "data-testid": "export-sidecars" }), " A JSON sidecar next to each file"),
      );
    }
    if (signable(c)) {
      const helpId = `ab-export-c2pa-help-${uid}`;
      const credentials = select("credentials", [["", "Server default"], ["on", "Sign"], ["off", "Do not sign"]], c.credentials);
      credentials.setAttribute("aria-describedby", helpId);
      parts.push(
        field("Content Credentials (C2PA)", credentials),
        h("p", { class: "ab-export-help", id: helpId }, "Signs the PNG and JPEG files a job made. The default signs when this server has a certificate; do not sign files a provider already signed."),
      );
    }
    if (c.kind === "pdf") {
      parts.push(
        h(
          "div",
          { class: "ab-export-row" },
          field("Columns", h("input", { type: "number", name: "columns", min: "1", max: "8", value: c.columns, inputmode: "numeric" })),
          field("Rows", h("input", { type: "number", name: "rows", min: "1", max: "8", value: c.rows, inputmode: "numeric" })),
          field("Paper", select("paper", [["a4", "A4"], ["letter", "Letter"]], c.paper)),
        ),
      );
    }
    if (c.source?.type === "batch") {
      parts.push(h("label", { class: "ab-export-check" }, h("input", { type: "checkbox", name: "allResults", checked: c.allResults, "data-testid": "export-all-results" }), " Every result of the batch, not only the approved ones"));
    }
    // Re-drawing must not drop the keyboard's place: focus the same control again.
    const active = document.activeElement;
    const had = active instanceof HTMLInputElement || active instanceof HTMLSelectElement ? active : null;
    const refocus = had && this.optionsSlot.contains(had) ? { name: had.name, value: had.value, radio: had.type === "radio" } : null;
    this.optionsSlot.replaceChildren(...parts);
    if (refocus) {
      const selector = refocus.radio ? `[name="${refocus.name}"][value="${refocus.value}"]` : `[name="${refocus.name}"]`;
      this.optionsSlot.querySelector<HTMLElement>(selector)?.focus();
    }
  }

  private changed(target: EventTarget | null): void {
    if (!(target instanceof HTMLInputElement || target instanceof HTMLSelectElement)) return;
    const c = this.choices as unknown as Record<string, unknown>;
    const name = target.name;
    if (!name) return;
    target.removeAttribute("aria-invalid");
    this.showError(""); // a sentence about what was there before no longer holds
    if (name === "source") {
      this.choices.source = this.sources.find((s) => sourceKey(s) === target.value);
      this.choices.kind = fittingKind(this.choices.kind, this.choices.source);
      this.renderKinds();
      this.renderOptions();
      return;
    }
    if (target instanceof HTMLInputElement && target.type === "checkbox") c[name] = target.checked;
    else if (target instanceof HTMLInputElement && target.type === "radio") {
      if (!target.checked) return;
      c[name] = target.value;
      if (name === "kind" || name === "size") {
        this.choices.kind = this.choices.kind as ExportKind;
        this.renderOptions();
      }
    } else {
      c[name] = target.value;
      if (name === "format") this.renderOptions(); // WebP carries no Content Credentials
    }
  }

  private showError(message: string): void {
    this.error.textContent = message;
    this.error.hidden = !message;
  }

  private async start(): Promise<void> {
    const built = buildRequest(this.choices);
    if ("problem" in built) {
      this.showError(built.problem.message);
      const input = this.form.querySelector<Field>(`[name="${built.problem.field}"]`);
      input?.setAttribute("aria-invalid", "true");
      input?.focus();
      return;
    }
    this.showError("");
    this.submit.disabled = true;
    this.submit.textContent = "Starting…";
    try {
      await startExport(this.editor, this.apiBase, this.boardId, built.body);
      this.dialog.close();
    } catch (err) {
      this.showError(err instanceof ApiError ? err.message : "The export could not be started.");
      this.submit.focus();
    } finally {
      this.submit.disabled = false;
      this.submit.textContent = "Export";
    }
  }
}

/** Keep what the person typed last time (sizes, template, layout) across openings. */
function pick(c: DialogChoices): Partial<DialogChoices> {
  const { depth, format, size, scale, longEdge, compression, credentials, template, sidecars, videoFormat, columns, rows, paper } = c;
  return { depth, format, size, scale, longEdge, compression, credentials, template, sidecars, videoFormat, columns, rows, paper };
}

function field(label: string, control: HTMLElement): HTMLLabelElement {
  return h("label", { class: "ab-export-field" }, h("span", { class: "ab-export-label" }, label), control);
}

function select(name: string, options: [string, string][], value: string): HTMLSelectElement {
  return h("select", { name }, ...options.map(([v, text]) => h("option", { value: v, selected: v === value }, text)));
}

function radios(name: string, legend: string, options: [string, string][], value: string): HTMLFieldSetElement {
  return h(
    "fieldset",
    { class: "ab-export-radios" },
    h("legend", {}, legend),
    ...options.map(([v, text]) => h("label", {}, h("input", { type: "radio", name, value: v, checked: v === value }), ` ${text}`)),
  );
}
