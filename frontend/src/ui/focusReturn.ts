/**
 * Where the keyboard focus goes when something that was opened closes: a dialog, a panel
 * (History), a drawer or sheet, an in-page confirm, the comment composer. The rule
 * (docs/frontend.md "Focus on open and close"): back to the element that opened it; if that
 * element is gone or can no longer take the focus (re-rendered, hidden, inside a closed
 * drawer), to the caller's fallback, then to the control that opens the region the opener
 * lived in (`aria-controls`), then to the page's home (`[data-focus-home]`: the board's
 * canvas, the review grid) — never to `<body>`.
 *
 * It gives the focus back only when it is still inside what closed (or already lost to
 * `<body>`): a click elsewhere that closed a panel keeps the focus where the click put it.
 *
 * The choice is written against a small `FocusHost`, so it is tested without a DOM; the
 * page uses `DOM_HOST`. It knows nothing of what is opened.
 */

/** What the choice needs from the page (the DOM in the app, fakes in tests). */
export interface FocusHost<E> {
  /** The focused element, or null when the focus is on `<body>` or nowhere. */
  active(): E | null;
  /** Whether `el` is in the page, shown, enabled and outside inert or hidden regions. */
  canTake(el: E): boolean;
  /** Focus `el`; true when it has the focus afterwards. */
  focus(el: E): boolean;
  /** Whether `inner` is `outer` or inside it. */
  contains(outer: E, inner: E): boolean;
  /** The control that opens the closed region `el` sits in (a drawer's toggle), if any. */
  controllerOf(el: E): E | null;
  /** The page's home for the keyboard. */
  home(): E | null;
}

export interface FocusReturnOptions<E> {
  /** Tried before the remembered opener (the review page's current card after the cursor
   * moved inside the compare). */
  prefer?: () => E | null | undefined;
  /** Tried after the opener (e.g. the button that opens the thing again). */
  fallback?: () => E | null | undefined;
}

export class FocusReturn<E> {
  private opener: E | null = null;

  constructor(
    private readonly host: FocusHost<E>,
    private readonly opts: FocusReturnOptions<E> = {},
  ) {}

  /** Call on open: remembers `opener` (by default whatever has the focus). Opening again
   * while open keeps the first opener, unless `replace` says otherwise. */
  remember(opener: E | null = this.host.active(), replace = false): void {
    if (this.opener !== null && !replace) return;
    this.opener = opener;
  }

  /** The remembered opener (null when none or after `restore`). */
  get remembered(): E | null {
    return this.opener;
  }

  /** Forget the opener without moving the focus. */
  forget(): void {
    this.opener = null;
  }

  /**
   * Call on close, before hiding `container` (what closed): gives the focus back when it is
   * inside `container` or lost; returns the element that got it, or null (left alone).
   */
  restore(container: E | null = null): E | null {
    const opener = this.opener;
    this.opener = null;
    const active = this.host.active();
    if (active !== null && !(container !== null && this.host.contains(container, active))) return null;
    const tried = new Set<E>();
    const candidates = [this.opts.prefer?.(), opener, this.opts.fallback?.(), opener === null ? null : this.host.controllerOf(opener), this.host.home()];
    for (const el of candidates) {
      if (el === null || el === undefined || tried.has(el)) continue;
      tried.add(el);
      if (container !== null && this.host.contains(container, el)) continue;
      if (this.host.canTake(el) && this.host.focus(el)) return el;
    }
    return null;
  }
}

/** The page's home for the keyboard: the element marked `data-focus-home`. */
export function focusHome(doc: Document = document): HTMLElement | null {
  return doc.querySelector<HTMLElement>("[data-focus-home]");
}

/** Whether `el` can take the keyboard focus now (in the page, shown, enabled, not inert). */
export function canTakeFocus(el: HTMLElement): boolean {
  if (!el.isConnected || el.closest("[inert], [hidden]")) return false;
  if ((el as HTMLButtonElement).disabled) return false;
  return el.getClientRects().length > 0;
}

/** The toggle that opens the closed region (`[id]` that is inert or hidden) `el` is in. */
function controllerOf(el: HTMLElement): HTMLElement | null {
  for (let region = el.closest<HTMLElement>("[inert], [hidden]"); region; region = region.parentElement?.closest<HTMLElement>("[inert], [hidden]") ?? null) {
    if (!region.id) continue;
    const toggle = document.querySelector<HTMLElement>(`[aria-controls~="${CSS.escape(region.id)}"]`);
    if (toggle) return toggle;
  }
  return null;
}

export const DOM_HOST: FocusHost<HTMLElement> = {
  active: () => {
    const a = document.activeElement;
    return a instanceof HTMLElement && a !== document.body ? a : null;
  },
  canTake: canTakeFocus,
  focus: (el) => {
    el.focus();
    return document.activeElement === el;
  },
  contains: (outer, inner) => outer.contains(inner),
  controllerOf,
  home: () => focusHome(),
};

/** A `FocusReturn` for the page. */
export function focusReturn(opts: FocusReturnOptions<HTMLElement> = {}): FocusReturn<HTMLElement> {
  return new FocusReturn(DOM_HOST, opts);
}
