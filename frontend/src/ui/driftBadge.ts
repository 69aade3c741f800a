/**
 * The drift mark on a result's picture (staging strip, filmstrip and share view, review
 * cards): a warning badge naming the drifted metric on a drifted result, a small neutral
 * check on a consistent one, nothing while it is being scored. The label is the accessible
 * name; the tooltip (`data-tip`) is the flag's sentence. Words come from review/drift.ts.
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
      class: `ab-drift ${state}`,
      role: "img",
      tabindex: opts.focusable ? "0" : undefined,
      "aria-label": driftLabel(c),
      "data-tip": driftTip(c),
      "data-testid": "drift-badge",
      "data-drift": state,
      "data-metric": first?.metric ?? "",
    },
    icon(drifted ? "drift" : "consistent", opts.size ?? 12),
  );
  if (opts.withText && drifted && first) badge.append(h("span", { class: "ab-drift-text", "aria-hidden": "true" }, metricName(first.metric)));
  return badge;
}
