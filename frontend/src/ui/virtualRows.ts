/**
 * Windowing for long lists of equal-height rows (the layers panel): which rows to keep in the
 * DOM for a scroll position, and where to scroll to bring a row into view. A board of 2,000
 * items listed in full made every layout walk ~18,000 layout objects; a window of the rows on
 * show (plus a few either side) keeps it to a few dozen whatever the board size.
 *
 * Pure: the panel measures (the row height, where the scroller's view falls on the list) and
 * applies the answer. It must not touch the DOM.
 */

export interface RowWindow {
  /** First row index kept (inclusive). */
  first: number;
  /** One past the last row index kept. */
  last: number;
}

export interface RowView {
  count: number;
  rowHeight: number;
  /** Top of the scroller's visible part, in px from the top of the list (may be negative). */
  viewTop: number;
  /** Height of the visible part of the list's scroller, px. */
  viewHeight: number;
  /** Rows kept beyond each edge, so a short scroll shows rows already there. */
  overscan: number;
}

/** Rows [first, last) that intersect the view, widened by `overscan` rows each side. */
export function rowWindow(view: RowView): RowWindow {
  const { count, overscan } = view;
  if (count <= 0) return { first: 0, last: 0 };
  const h = view.rowHeight > 0 ? view.rowHeight : 1;
  if (!(view.viewHeight > 0)) {
    // Not laid out (a closed drawer): keep a small head of the list, enough to tab into.
    return { first: 0, last: Math.min(count, 2 * overscan) };
  }
  const top = Math.floor(view.viewTop / h);
  const bottom = Math.ceil((view.viewTop + view.viewHeight) / h);
  const first = clamp(top - overscan, 0, count);
  const last = clamp(bottom + overscan, first, count);
  return { first, last };
}

/** Indices to render: the window, plus rows that must exist outside it (the focused row), ascending. */
export function rowsToRender(window: RowWindow, extra: Iterable<number>, count: number): number[] {
  const out: number[] = [];
  for (let i = window.first; i < window.last; i++) out.push(i);
  const more = [...new Set(extra)].filter((i) => i >= 0 && i < count && (i < window.first || i >= window.last));
  return more.length ? [...out, ...more].sort((a, b) => a - b) : out;
}

/**
 * The scroll offset change (px, + scrolls down) that brings row `index` fully into view with
 * the least movement, or 0 if it already is ("nearest", like scrollIntoView).
 */
export function revealDelta(index: number, rowHeight: number, viewTop: number, viewHeight: number): number {
  const top = index * rowHeight;
  const bottom = top + rowHeight;
  if (top < viewTop) return top - viewTop;
  if (bottom > viewTop + viewHeight) return Math.min(top - viewTop, bottom - (viewTop + viewHeight));
  return 0;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
