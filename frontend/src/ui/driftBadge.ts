/**
 * The drift mark on a result's picture (staging strip, filmstrip and share view, review
 * cards, the phone's candidate viewer): a warning badge naming the drifted metric on a
 * drifted result, a small neutral check on a consistent one, nothing while it is being
 * scored. The label is the accessible name; the tooltip (`data-tip`) is the flag's
 * sentence. A stale reading (the anchors or brand kit changed; re-checking) is drawn dashed and faded,
 * and its label and tooltip say so. `whyFlagged` is the "Why flagged" button that lists every flag's sentence as
 * text (review cards, the candidate viewer), for touch screens and screen readers where a
 * tooltip never shows. Words come from review/drift.ts.
 *
 * Builds DOM only.
 */
import { type Consistency, driftLabel, driftState, driftTip, metricName } from "../review/drift";
import { h } from "./dom";
import { icon } from "./icons";

/** `withText`: show the metric's name beside the icon (roomy places: review cards);
 * `focusable`: reachable with Tab, so keyboard users get the tooltip (never inside a button). */
export function driftBadge(c: Consistency | null | undefined, opts: { size?: number; withText?: boolean; focusable?: boolean } = {}): HTMLElement | null {
  const state = driftState(c);
  if (state === "pending" || !c) return null;
  const drifted = state === "drifted";
  const first = c.flags[0];
  const badge = h(
    "span",
    {
      class: `ab-drift ${state}${c.stale ? " stale" : ""}`,
      role: "img",
      tabindex: opts.focusable ? "0" : undefined,
      "aria-label": driftLabel(c),
      "data-tip": driftTip(c),
      "data-testid": "drift-badge",
      "data-drift": state,
      "data-stale": c.stale ? "true" : undefined,
      "data-metric": first?.metric ?? "",
    },
    icon(drifted ? "drift" : "consistent", opts.size ?? 12),
  );
  if (opts.withText && drifted && first) badge.append(h("span", { class: "ab-drift-text", "aria-hidden": "true" }, metricName(first.metric)));
  return badge;
}

/** "Why flagged": a button (tap, click, Enter) that shows the drift flags' sentences, most
 * severe first, each led by its metric's name; null unless the result drifted. `key` makes
 * the list's id unique on the page. */
export function whyFlagged(c: Consistency | null | undefined, name: string, key: string): HTMLElement | null {
  if (!c?.drift) return null;
  const flags = c.flags;
  const list = h(
    "ul",
    { class: "ab-flags", hidden: true, id: `flags-${key}`, "data-testid": "drift-flags", "aria-label": `Drift flags of ${name}` },
    ...flags.map((f) => h("li", { "data-metric": f.metric }, h("strong", {}, `${metricName(f.metric)}: `), f.message)),
  );
  const toggle = h(
    "button",
    { type: "button", class: "ab-flags-toggle", "aria-expanded": "false", "aria-controls": list.id, "data-testid": "drift-flags-toggle" },
    flags.length === 1 ? "Why flagged" : `Why flagged (${flags.length})`,
  );
  toggle.addEventListener("click", (e) => {
    e.stopPropagation();
    list.hidden = !list.hidden;
    toggle.setAttribute("aria-expanded", String(!list.hidden));
  });
  return h("div", { class: "ab-flags-box" }, toggle, list);
}
