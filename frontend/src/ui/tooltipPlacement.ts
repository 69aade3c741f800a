/**
 * Where a tooltip goes (pure): centred under the control it names, flipped above when the
 * bottom of the view has no room, and always kept `margin` px inside the view — on a 390 px
 * phone a control at either edge would otherwise push its tooltip off the screen.
 * ui/overlay.ts `installTooltips` measures and calls this; docs/frontend.md "Overlays".
 */

export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface Size {
  width: number;
  height: number;
}

/** Space kept between a tooltip and the view's edges (CSS px). */
export const TIP_MARGIN_PX = 8;
/** Space between a tooltip and its control. */
export const TIP_GAP_PX = 6;
/** The widest a tooltip grows (the view's width less both margins when that is less). */
export const TIP_MAX_WIDTH_PX = 280;

/** The widest a tooltip may be in a view `viewWidth` px wide. */
export function tipMaxWidth(viewWidth: number, margin = TIP_MARGIN_PX): number {
  return Math.max(0, Math.min(TIP_MAX_WIDTH_PX, viewWidth - 2 * margin));
}

/** The tooltip's top-left corner for a control at `anchor` (viewport coordinates). */
export function placeTip(anchor: Box, tip: Size, view: Size, margin = TIP_MARGIN_PX, gap = TIP_GAP_PX): { left: number; top: number } {
  const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(v, Math.max(lo, hi)));
  const left = clamp(anchor.left + anchor.width / 2 - tip.width / 2, margin, view.width - margin - tip.width);
  const below = anchor.top + anchor.height + gap;
  const above = anchor.top - gap - tip.height;
  let top = below;
  if (below + tip.height > view.height - margin) top = above >= margin ? above : below;
  // Whole pixels rounded down: a box of fractional width clamped to the right margin stays inside it.
  return { left: Math.floor(left), top: Math.floor(clamp(top, margin, view.height - margin - tip.height)) };
}
