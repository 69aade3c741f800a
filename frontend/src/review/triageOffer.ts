/**
 * The offer that follows turning drift triage on: results already on the board are not
 * triaged by the setting (only results that land afterwards), so when the server counts
 * some it would decide on (`untriaged` in the PUT's answer), the owner is asked "Apply it to
 * the 3 flagged results already here?" and, on confirmation, the server applies it
 * (`POST …/drift-triage/apply`). The decisions then arrive as ordinary live `decision`
 * messages. Nothing is decided without the click.
 *
 * Builds DOM and sends that one request.
 */
import { h } from "../ui/dom";
import { focusReturn } from "../ui/focusReturn";
import { ApiError, apiJson } from "./api";

const VERB: Record<string, string> = { route: "mark them Needs changes", reject: "reject them" };
const DONE: Record<string, string> = { route: "marked Needs changes", reject: "rejected" };

export class TriageOffer {
  readonly element = h("div", { class: "rv-triage-offer", hidden: true, role: "group", "aria-label": "Flagged results already on the board", "data-testid": "triage-offer" });
  /** The setting that brought the offer up gets the focus back when it goes. */
  private readonly returnFocus = focusReturn();

  constructor(
    private readonly api: string,
    private readonly say: (text: string, kind?: "info" | "error") => void,
  ) {}

  /** After the setting changed: offer to apply ``mode`` to ``count`` results, or hide. */
  show(mode: string, count: number): void {
    if (!VERB[mode] || count <= 0) {
      if (!this.element.hidden) this.returnFocus.restore(this.element);
      this.element.hidden = true;
      this.element.replaceChildren();
      return;
    }
    const n = count === 1 ? "1 flagged result is" : `${count} flagged results are`;
    const apply = h("button", { type: "button", class: "ab-btn primary", "data-testid": "triage-offer-apply" }, `Yes, ${VERB[mode]}`);
    const dismiss = h("button", { type: "button", class: "ab-btn", "data-testid": "triage-offer-dismiss" }, "No, only new results");
    apply.addEventListener("click", () => void this.apply(apply, dismiss));
    dismiss.addEventListener("click", () => this.show("off", 0));
    this.element.onkeydown = (e) => {
      if (e.key !== "Escape" || apply.disabled) return;
      e.preventDefault();
      e.stopPropagation();
      this.show("off", 0);
    };
    if (this.element.hidden) this.returnFocus.remember(undefined, true);
    this.element.replaceChildren(h("span", { "data-testid": "triage-offer-text" }, `${n} already on the board, from before this setting. Apply it to them too?`), apply, dismiss);
    this.element.hidden = false;
    apply.focus();
  }

  private async apply(apply: HTMLButtonElement, dismiss: HTMLButtonElement): Promise<void> {
    apply.disabled = dismiss.disabled = true;
    try {
      const r = await apiJson<{ drift_triage: string; decided: number }>("POST", `${this.api}/drift-triage/apply`, {});
      this.show("off", 0);
      this.say(`${r.decided === 1 ? "1 result" : `${r.decided} results`} ${DONE[r.drift_triage] ?? "decided"} by the drift check.`);
    } catch (e) {
      apply.disabled = dismiss.disabled = false;
      this.say(e instanceof ApiError ? e.message : String(e), "error");
    }
  }
}
