/**
 * The page's two live regions, for what a screen reader should hear without moving focus:
 * a polite one (progress, results, "Region placed …") and an assertive one (failures).
 * They exist from page load on (a live region added together with its text is often not
 * read), stay visually hidden, and repeat a message that is said twice in a row.
 */
import { h } from "./dom";

let regions: { polite: HTMLElement; urgent: HTMLElement } | null = null;

function ensure(): { polite: HTMLElement; urgent: HTMLElement } {
  if (regions && regions.polite.isConnected) return regions;
  const polite = h("div", { class: "visually-hidden", role: "status", "aria-live": "polite", "data-testid": "announce-polite" });
  const urgent = h("div", { class: "visually-hidden", role: "alert", "aria-live": "assertive", "data-testid": "announce-urgent" });
  document.body.append(polite, urgent);
  regions = { polite, urgent };
  return regions;
}

/** Create the live regions now, so that the first message is read. Call once at start-up. */
export function installAnnouncer(): void {
  ensure();
}

/** Say `text` (urgent: interrupt). Each message replaces the last in its region. */
export function announce(text: string, urgent = false): void {
  const el = urgent ? ensure().urgent : ensure().polite;
  // Same text twice: screen readers ignore an unchanged node, so clear it first.
  if (el.textContent !== text) {
    el.textContent = text;
    return;
  }
  el.textContent = "";
  requestAnimationFrame(() => (el.textContent = text));
}
