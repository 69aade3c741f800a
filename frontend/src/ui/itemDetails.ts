/**
 * What people who may only look (viewers, share-link guests) see of the selection instead
 * of the properties form: plain facts (name, kind, size, anchor role), no inputs, no
 * disabled controls that look like something they could change.
 *
 * Pure DOM building; it must not edit anything.
 */
import type { ItemData } from "../protocol";
import { h } from "./dom";
import { itemLabel } from "./layersPanel";

const KIND_NAME: Record<string, string> = { image: "Image", frame: "Frame", text: "Note", mask: "Mask" };

function row(term: string, value: string): HTMLElement[] {
  return [h("dt", {}, term), h("dd", {}, value)];
}

export function itemDetails(items: ItemData[]): HTMLElement[] {
  if (!items.length) return [h("p", { class: "muted" }, "Select something on the board to see what it is.")];
  if (items.length > 1) return [h("p", {}, `${items.length} items selected`)];
  const item = items[0] as ItemData;
  const facts: HTMLElement[] = [
    ...row("Name", itemLabel(item)),
    ...row("Kind", item.props?.iteration ? "Result" : (KIND_NAME[item.kind] ?? item.kind)),
    ...row("Size", `${Math.round(item.width)} × ${Math.round(item.height)}`),
  ];
  if (item.asset) facts.push(...row("Pixels", `${item.asset.width} × ${item.asset.height} px`));
  if (item.anchor_role) facts.push(...row("Anchor", item.anchor_role[0]?.toUpperCase() + item.anchor_role.slice(1)));
  if (item.kind === "text" && item.props.text) facts.push(...row("Text", String(item.props.text)));
  return [h("dl", { class: "ab-details", "data-testid": "item-details" }, ...facts)];
}
