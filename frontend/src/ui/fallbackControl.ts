/**
 * "If this engine is unavailable, try…": the board's provider fallback chain
 * (GET/PUT /api/v1/boards/{id}/engine-fallbacks, docs/providers.md), under the engine menu
 * of the generation panel. Owners pick up to MAX_PICKS engines to try after the selected
 * one and save; everyone else reads the chain as text.
 *
 * It only reads and writes the chain; whether a fallback runs is decided on the server
 * while a provider's circuit is open. The pure helpers at the top are unit-tested.
 */
import type { EngineInfo } from "../jobs/model";
import { ApiError, apiJson } from "../review/api";
import { h } from "./dom";

export const MAX_PICKS = 3;

export interface FallbackChain {
  chain: string[];
  enabled: boolean;
}

function labelOf(name: string, engines: readonly EngineInfo[]): string {
  return engines.find((e) => e.name === name)?.label ?? name;
}

/** The chain as one sentence a designer can read. */
export function describeChain(chain: readonly string[], engines: readonly EngineInfo[]): string {
  if (chain.length < 2) return "Off: a job waits while its engine is unavailable.";
  const [first, ...rest] = chain.map((n) => labelOf(n, engines));
  return `If ${first} is unavailable, jobs try ${rest.join(", then ")} (each engine falls back to the ones after it).`;
}

/** The chain to save for `selected` followed by the picked engines ("" = none picked);
 * [] (off) when nothing is picked. Repeats and the selected engine itself are dropped. */
export function chainFor(selected: string, picks: readonly string[]): string[] {
  const out = [selected];
  for (const p of picks) if (p && !out.includes(p)) out.push(p);
  return out.length > 1 ? out : [];
}

/** The picks to show for `selected`: the rest of the chain if it starts there, else none. */
export function picksFor(chain: readonly string[], selected: string): string[] {
  const at = chain.indexOf(selected);
  return at < 0 ? [] : chain.slice(at + 1, at + 1 + MAX_PICKS);
}

export class FallbackControl {
  readonly element: HTMLElement;
  private chain: string[] = [];
  private readonly text: HTMLElement;
  private readonly picks: HTMLSelectElement[] = [];
  private readonly error: HTMLElement;
  private readonly save: HTMLButtonElement;

  constructor(
    private readonly url: string,
    private readonly engines: readonly EngineInfo[],
    private readonly selected: () => string,
    private readonly canChange: boolean,
  ) {
    this.text = h("p", { class: "ab-gen-note", "data-testid": "fallback-text" }, "Loading…");
    this.error = h("p", { class: "ab-gen-error", role: "alert", hidden: true, "data-testid": "fallback-error" });
    this.save = h("button", { type: "button", class: "ab-btn", "data-testid": "fallback-save" }, "Save fallbacks");
    this.save.addEventListener("click", () => void this.store());
    const editor = h("div", { class: "ab-gen-row" });
    for (let i = 0; i < MAX_PICKS; i++) {
      const select = h("select", { "aria-label": `Fallback ${i + 1}`, "data-testid": `fallback-pick-${i}` });
      this.picks.push(select);
      editor.append(select);
    }
    editor.append(this.save);
    this.element = h(
      "details",
      { class: "ab-gen-fallbacks", "data-testid": "fallback-control" },
      h("summary", {}, "If this engine is unavailable, try…"),
      this.text,
      // Not merely hidden: the row's flex display would override the hidden attribute.
      canChange ? editor : null,
      this.error,
    );
    void this.load();
  }

  /** Re-fill the menus for the engine now selected in the generation panel. */
  refresh(): void {
    const selected = this.selected();
    const wanted = picksFor(this.chain, selected);
    const others = this.engines.filter((e) => e.name !== selected);
    this.picks.forEach((select, i) => {
      select.replaceChildren(h("option", { value: "" }, i === 0 ? "Nothing (wait)" : "—"), ...others.map((e) => h("option", { value: e.name }, e.label)));
      select.value = wanted[i] ?? "";
    });
    this.text.textContent = describeChain(this.chain, this.engines);
  }

  private async load(): Promise<void> {
    try {
      this.chain = (await apiJson<FallbackChain>("GET", this.url)).chain;
      this.refresh();
    } catch (e) {
      this.text.textContent = "";
      this.showError(e);
    }
  }

  private async store(): Promise<void> {
    if (!this.canChange) return;
    this.error.hidden = true;
    this.save.disabled = true;
    try {
      const chain = chainFor(this.selected(), this.picks.map((p) => p.value));
      this.chain = (await apiJson<FallbackChain>("PUT", this.url, { chain })).chain;
      this.refresh();
    } catch (e) {
      this.showError(e);
    } finally {
      this.save.disabled = false;
    }
  }

  private showError(e: unknown): void {
    this.error.textContent = e instanceof ApiError ? e.message : `The fallback engines could not be loaded (${String(e)}).`;
    this.error.hidden = false;
  }
}
