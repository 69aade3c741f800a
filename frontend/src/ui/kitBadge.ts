/**
 * The board's brand kit in the top bar: its name and version, linking to the kit editor
 * (canvas/governance/kits/pages.py). The kit's locks are in the badge's accessible name and
 * tooltip; a job that breaks one is refused by the server with a sentence naming it, shown
 * by the generation panel like every refusal. Nothing here enforces anything.
 */
import { h } from "./dom";

/** What the board bootstrap says of its kit (canvas.governance.kits.payloads). */
export interface BoardKit {
  id: string;
  name: string;
  version: number;
  pinned: boolean;
  locks: string[];
  engine: string;
  /** The kit's strength (a default, or the only value when locked); null: none. */
  strength: number | null;
  variables: string[];
  url: string;
}

export const LOCK_WORDS: Record<string, string> = {
  engine: "engine",
  prompt: "prompt template",
  negative_prompt: "negative prompt",
  strength: "strength",
  scale: "upscale factor",
  params: "engine settings",
};

export function lockList(kit: BoardKit): string {
  return kit.locks.map((l) => LOCK_WORDS[l] ?? l).join(", ");
}

export function buildKitBadge(kit: BoardKit): HTMLAnchorElement {
  const locks = lockList(kit);
  const tip = `Brand kit “${kit.name}”, version ${kit.version}${kit.pinned ? " (pinned)" : ""}${locks ? `; locks the ${locks}` : ""}`;
  return h(
    "a",
    { class: "ab-kit-badge", href: kit.url, "data-tip": tip, "data-testid": "kit-badge" },
    h("span", { class: "ab-kit-mark", "aria-hidden": "true" }),
    h("span", { class: "visually-hidden" }, "Brand kit "),
    h("span", { class: "ab-kit-name" }, kit.name),
    h("span", { class: "visually-hidden" }, ", version "),
    h("span", { class: "ab-kit-version" }, `v${kit.version}`),
    h("span", { class: "visually-hidden" }, `${kit.pinned ? " (pinned)" : ""}${locks ? `; locks the ${locks}` : ""}`),
  );
}

/** Put the badge in the page's top bar, after the role badge. */
export function mountKitBadge(kit: BoardKit | null | undefined, doc: Document = document): HTMLAnchorElement | null {
  if (!kit) return null;
  const badge = buildKitBadge(kit);
  const anchor = doc.querySelector(".topbar .role-badge") ?? doc.querySelector(".topbar .topbar-title");
  if (anchor) anchor.after(badge);
  else doc.querySelector(".topbar")?.append(badge);
  return badge;
}
