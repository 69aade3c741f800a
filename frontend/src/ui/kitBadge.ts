/**
 * The board's brand kit in the top bar: its name and version, linking to the kit editor
 * (canvas/governance/kits/pages.py). The kit's locks are in the badge's accessible name and
 * tooltip; a job that breaks one is refused by the server with a sentence naming it, shown
 * by the generation panel like every refusal. Nothing here enforces anything.
 *
 * `KitFollower` keeps the badge (and whoever else listens: the generation panel's kit box)
 * in step while the board is open: the server sends a `brand_kit` message when the board's
 * kit changes (a new version, another kit, a pin, none), and after a reconnect the follower
 * asks for the kit again, since a message may have been missed while offline.
 */
import type { BoardKit } from "../protocol/generated";
import { apiJson } from "../review/api";
import { h } from "./dom";

/** What the board bootstrap and the `brand_kit` message say of its kit
 * (canvas.governance.kits.payloads, declared in canvas/protocol/governance.py). */
export type { BoardKit };

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

/** The kit as it is now: the badge follows it, and so do the listeners (the panel). */
export class KitFollower {
  private badge: HTMLAnchorElement | null;
  private readonly listeners: ((kit: BoardKit | null) => void)[] = [];

  constructor(
    private kit: BoardKit | null,
    /** GET here answers `{"brand_kit": BoardKit | null}` (the board's kit endpoint). */
    private readonly url: string,
    private readonly doc: Document = document,
  ) {
    this.badge = mountKitBadge(kit, doc);
  }

  get current(): BoardKit | null {
    return this.kit;
  }

  onChange(listener: (kit: BoardKit | null) => void): void {
    this.listeners.push(listener);
  }

  /** A `brand_kit` message, or the answer of `reconnected`. */
  receive(kit: BoardKit | null): void {
    this.kit = kit;
    const next = kit ? buildKitBadge(kit) : null;
    if (this.badge?.isConnected) {
      if (next) this.badge.replaceWith(next);
      else this.badge.remove();
      this.badge = next;
    } else {
      this.badge = mountKitBadge(kit, this.doc);
    }
    for (const listener of this.listeners) listener(kit);
  }

  /** The socket is back after a drop: read the kit again (a change may have been missed). */
  async reconnected(): Promise<void> {
    try {
      const answer = await apiJson<{ brand_kit: BoardKit | null }>("GET", this.url);
      const kit = answer.brand_kit;
      if (kit?.id !== this.kit?.id || kit?.version !== this.kit?.version || kit?.pinned !== this.kit?.pinned) this.receive(kit);
    } catch {
      // Offline again or refused: the next message or reconnect brings it.
    }
  }
}
