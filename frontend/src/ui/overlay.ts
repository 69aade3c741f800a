/**
 * The one overlay system of the app. Everything that floats takes its place in a single
 * stacking order, defined once as CSS custom properties in static/css/app.css:
 *
 *   canvas < canvas overlays < canvas tools < panels < strips < toasts < dialogs < menus/tooltips
 *
 * `layer(el, "strip")` puts an element in its layer (a `z-*` class); CSS rules may use the
 * `var(--z-…)` tokens directly. On top of that this module gives the three behaviours that
 * must be the same everywhere: modal dialogs (backdrop, focus trap, Escape, focus returned),
 * toasts (a stack nothing covers, text that wraps instead of being cut) and tooltips (one
 * element on top of everything, shown on hover and on keyboard focus).
 *
 * docs/frontend.md "Overlays" is the reference; it must not know about the board.
 */
import { h } from "./dom";
import { type FocusReturn, focusReturn } from "./focusReturn";
import { placeTip, tipMaxWidth } from "./tooltipPlacement";

export type OverlayLayer = "canvas-overlay" | "canvas-tool" | "panel" | "strip" | "toast" | "dialog" | "menu";

/** Put `el` in one layer of the stacking order. */
export function layer<T extends HTMLElement>(el: T, which: OverlayLayer): T {
  for (const c of [...el.classList]) if (c.startsWith("z-")) el.classList.remove(c);
  el.classList.add(`z-${which}`);
  return el;
}

/** What floats over the canvas in the panel and strip layers (minimap, history drawer,
 * staging strip, filmstrip, review bar, batch progress dock): canvas overlays keep their
 * controls clear of it. */
export const CANVAS_CHROME = ".z-panel, .z-strip, .ab-staging-dock, .ab-filmstrip, .ab-minimap, .ab-history";

/**
 * Lift `el` (a control bar drawn over the board, e.g. a progress card's Cancel) out from
 * under the canvas chrome and back inside `container`, so it stays visible and clickable
 * wherever its region is. Chrome docked at the top (wholly in the upper half: the batch
 * progress dock) pushes it down below instead. Returns how many pixels it was moved
 * (lifted: positive; pushed down: negative).
 */
export function keepClear(el: HTMLElement, container: HTMLElement): number {
  el.style.transform = "";
  const r = el.getBoundingClientRect();
  if (!r.width || !r.height) return 0;
  const box = container.getBoundingClientRect();
  let lift = Math.max(0, r.bottom - (box.bottom - 6));
  let drop = 0;
  for (const other of container.querySelectorAll<HTMLElement>(CANVAS_CHROME)) {
    if (other.contains(el) || other.closest("[hidden]")) continue;
    const o = other.getBoundingClientRect();
    if (!o.width || !o.height) continue;
    const overlaps = r.left < o.right && r.right > o.left && r.bottom > o.top && r.top < o.bottom;
    if (!overlaps) continue;
    if (o.bottom <= box.top + box.height / 2) drop = Math.max(drop, o.bottom - r.top + 6);
    else lift = Math.max(lift, r.bottom - o.top + 6);
  }
  lift = Math.min(lift, Math.max(0, r.top - box.top - 4));
  if (lift > 0) {
    el.style.transform = `translateY(${-Math.round(lift)}px)`;
    return lift;
  }
  drop = Math.min(drop, Math.max(0, box.bottom - 6 - r.bottom));
  if (drop > 0) el.style.transform = `translateY(${Math.round(drop)}px)`;
  return -drop;
}

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

function focusables(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => !el.closest("[hidden]") && el.getClientRects().length > 0);
}

export interface DialogOptions {
  /** Accessible name of the dialog. */
  label: string;
  /** Called after the dialog closed (by Escape, the backdrop, or `close()`). */
  onClose?: () => void;
  /** Extra class for the dialog box (its size and layout). */
  className?: string;
  /** Close when the backdrop is clicked (default true). */
  closeOnBackdrop?: boolean;
  /** Where the focus goes on close before the element that opened the dialog (ui/focusReturn.ts). */
  returnTo?: () => HTMLElement | null | undefined;
  /** Where it goes when the opener is gone (before the page's home, the canvas). */
  fallback?: () => HTMLElement | null | undefined;
}

/**
 * A modal dialog: `element` is the backdrop (append it anywhere, e.g. document.body), `box`
 * the dialog itself, to fill with content. While open, Tab and Shift+Tab stay inside, Escape
 * closes, keys do not reach the canvas shortcuts, and focus returns to the element that
 * opened it (or a fallback when it is gone: ui/focusReturn.ts).
 */
export class Dialog {
  readonly element: HTMLElement;
  readonly box: HTMLElement;
  private readonly returnFocus: FocusReturn<HTMLElement>;

  constructor(private readonly opts: DialogOptions) {
    this.box = h("div", { class: `ab-dialog ${opts.className ?? ""}`.trim(), role: "dialog", "aria-modal": "true", "aria-label": opts.label, tabindex: "-1" });
    this.element = h("div", { class: "ab-backdrop z-dialog", hidden: true }, this.box);
    this.element.addEventListener("mousedown", (e) => {
      if (e.target === this.element && opts.closeOnBackdrop !== false) this.close();
    });
    this.element.addEventListener("keydown", (e) => this.onKey(e));
    this.returnFocus = focusReturn({ prefer: opts.returnTo, fallback: opts.fallback });
  }

  get isOpen(): boolean {
    return !this.element.hidden;
  }

  /** Show the dialog and put the focus on `focus` (else its first control). `opener` is
   * where the focus goes back on close; by default whatever had the focus. */
  open(focus?: HTMLElement | null, opener?: HTMLElement | null): void {
    if (!this.element.isConnected) document.body.append(this.element);
    if (!this.isOpen) this.returnFocus.remember(opener, true);
    this.element.hidden = false;
    (focus ?? focusables(this.box)[0] ?? this.box).focus();
  }

  close(): void {
    if (!this.isOpen) return;
    // Before hiding: the focus is still inside, so it is ours to give back.
    this.returnFocus.restore(this.element);
    this.element.hidden = true;
    this.opts.onClose?.();
  }

  private onKey(e: KeyboardEvent): void {
    if (e.key === "Escape") {
      e.preventDefault();
      this.close();
    } else if (e.key === "Tab") {
      const items = focusables(this.box);
      if (!items.length) {
        e.preventDefault();
        return;
      }
      const first = items[0] as HTMLElement;
      const last = items[items.length - 1] as HTMLElement;
      const active = document.activeElement;
      if (e.shiftKey && (active === first || !this.box.contains(active))) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && (active === last || !this.box.contains(active))) {
        e.preventDefault();
        first.focus();
      }
    }
    // Typing in a dialog must never trigger canvas shortcuts (V, H, Delete…).
    e.stopPropagation();
  }
}

export interface ToastHandle {
  element: HTMLElement;
  /** Replace the text (the toast keeps its place). */
  setText(text: string): void;
  dismiss(): void;
}

/**
 * The toast stack: notices and upload cards, top centre of the canvas, above strips and
 * panels (only dialogs and menus go higher). Text wraps; errors stay until dismissed or
 * replaced, other toasts leave after `ms`.
 */
export class Toasts {
  readonly element = h("div", { class: "ab-toasts z-toast", "aria-live": "polite", "data-testid": "toasts" });

  show(kind: "info" | "error" | "progress", content: string | Node, opts: { ms?: number; className?: string; dismissible?: boolean } = {}): ToastHandle {
    const text = h("span", { class: "ab-toast-text" }, content);
    const el = h("div", { class: `ab-toast ${opts.className ?? ""}`.trim(), "data-kind": kind, role: kind === "error" ? "alert" : "status" }, text);
    const dismiss = () => el.remove();
    if (opts.dismissible ?? kind === "error") {
      const close = h("button", { type: "button", class: "ab-toast-close", "aria-label": "Dismiss", "data-tip": "Dismiss" }, "×");
      close.addEventListener("click", dismiss);
      el.append(close);
    }
    this.element.append(el);
    if (opts.ms) setTimeout(dismiss, opts.ms);
    return { element: el, setText: (t) => (text.textContent = t), dismiss };
  }
}

/**
 * Tooltips for every element with `data-tip` (the text; a trailing "(K)" is shown as a key).
 * One tooltip element in the menu layer; shown after a short hover or at once on keyboard
 * focus, hidden on leave, blur, click or Escape. Install once per page.
 */
export function installTooltips(root: Document = document): HTMLElement {
  const existing = root.querySelector<HTMLElement>(".ab-tooltip");
  if (existing) return existing;
  const tip = h("div", { class: "ab-tooltip z-menu", role: "tooltip", id: "ab-tooltip", hidden: true });
  root.body.append(tip);
  let timer: ReturnType<typeof setTimeout> | null = null;
  let target: HTMLElement | null = null;

  const hide = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    target?.removeAttribute("aria-describedby");
    target = null;
    tip.hidden = true;
  };
  const show = (el: HTMLElement) => {
    const text = el.dataset.tip;
    if (!text || !el.isConnected) return;
    const m = /^(.*?)\s*\(([^()]+)\)$/.exec(text);
    tip.replaceChildren(...(m ? [m[1] ?? "", " ", h("kbd", {}, m[2] ?? "")] : [text]));
    tip.hidden = false;
    // Measured at the view's left edge with the width it may have there, so the size does
    // not depend on where the last tooltip was (a tooltip left near the right edge shrank
    // the next one's measure, and its long words then ran off a phone's screen).
    const view = { width: root.documentElement.clientWidth, height: root.documentElement.clientHeight };
    tip.style.left = "0px";
    tip.style.top = "0px";
    tip.style.maxWidth = `${tipMaxWidth(view.width)}px`;
    const r = el.getBoundingClientRect();
    const t = tip.getBoundingClientRect();
    const at = placeTip({ left: r.left, top: r.top, width: r.width, height: r.height }, { width: t.width, height: t.height }, view);
    tip.style.left = `${at.left}px`;
    tip.style.top = `${at.top}px`;
    if (!el.hasAttribute("aria-label") && !el.hasAttribute("aria-labelledby")) el.setAttribute("aria-describedby", tip.id);
  };
  const tipTarget = (e: Event) => (e.target instanceof Element ? e.target.closest<HTMLElement>("[data-tip]") : null);

  root.addEventListener("pointerover", (e) => {
    const el = tipTarget(e);
    if (el === target) return;
    hide();
    if (!el) return;
    target = el;
    timer = setTimeout(() => show(el), 350);
  });
  root.addEventListener("focusin", (e) => {
    const el = tipTarget(e);
    hide();
    if (el && el.matches(":focus-visible")) {
      target = el;
      show(el);
    }
  });
  root.addEventListener("focusout", hide);
  root.addEventListener("pointerdown", hide, true);
  root.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !tip.hidden) hide();
  }, true);
  root.addEventListener("scroll", hide, true);
  return tip;
}
