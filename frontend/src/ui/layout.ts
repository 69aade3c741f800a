/**
 * The board page's responsive shell: whether the Layers (left) and Details (right) panels
 * are shown, and how. Wide screens keep both docked beside the canvas; below the tablet
 * breakpoint they float over the canvas as drawers, closed by default, opened from two
 * toolbar toggles; below the phone breakpoint they are bottom sheets and only one is open
 * at a time (the toggles act as tabs). The breakpoints live here and in styles.css
 * (docs/frontend.md "Phones and tablets").
 *
 * Escape inside a floating panel closes it, the focus back on its toggle.
 *
 * It only shows and hides panels: it must not know what is inside them. A panel that needs
 * to be seen (the comment composer opening) dispatches a bubbling `ab:reveal` event.
 */
import { iconButton } from "./icons";

/** Phones: bottom sheets, one at a time. Keep in step with the @media rules in styles.css. */
export const PHONE_QUERY = "(max-width: 760px)";
/** Tablets (and phones): panels float over the canvas and start closed. */
export const TABLET_QUERY = "(max-width: 1180px)";

export type Side = "left" | "right";

export interface PanelLayout {
  /** The two toggles, for the toolbar (shown only below the tablet breakpoint). */
  toggles: HTMLElement[];
  isOpen(side: Side): boolean;
  setOpen(side: Side, open: boolean): void;
  /** Close whatever floats over the canvas (a phone's sheet), e.g. before the filmstrip opens. */
  closeFloating(): void;
}

/**
 * Wire the panels in `body` (an element holding `.ab-side.left` and `.ab-side.right`).
 * State lives in `data-left` / `data-right` ("open" or "closed") on `body`, which the CSS
 * reads; on wide screens the CSS ignores it and both panels stay docked.
 */
export function mountPanelLayout(body: HTMLElement, left: HTMLElement, right: HTMLElement): PanelLayout {
  const phone = window.matchMedia(PHONE_QUERY);
  const tablet = window.matchMedia(TABLET_QUERY);
  const sides: Record<Side, HTMLElement> = { left, right };
  left.setAttribute("aria-label", "Layers");
  right.setAttribute("aria-label", "Details");
  left.id ||= "ab-panel-left";
  right.id ||= "ab-panel-right";

  const toggle: Record<Side, HTMLButtonElement> = {
    left: iconButton({ icon: "layers", label: "Layers", variant: "tool", testid: "panel-toggle-left", onClick: () => layout.setOpen("left", !layout.isOpen("left")) }),
    right: iconButton({ icon: "panel", label: "Details and comments", variant: "tool", testid: "panel-toggle-right", onClick: () => layout.setOpen("right", !layout.isOpen("right")) }),
  };
  for (const side of ["left", "right"] as Side[]) {
    toggle[side].classList.add("ab-panel-toggle");
    toggle[side].setAttribute("aria-controls", sides[side].id);
  }

  const floating = () => tablet.matches;
  const sync = () => {
    for (const side of ["left", "right"] as Side[]) {
      const open = layout.isOpen(side);
      toggle[side].setAttribute("aria-pressed", String(open));
      toggle[side].setAttribute("aria-expanded", String(open));
      // A closed drawer is out of the tab order and the accessibility tree; docked panels always show.
      sides[side].inert = floating() && !open;
    }
  };

  const layout: PanelLayout = {
    toggles: [toggle.left, toggle.right],
    isOpen: (side) => !floating() || body.dataset[side] === "open",
    setOpen(side, open) {
      body.dataset[side] = open ? "open" : "closed";
      // A phone has room for one sheet: the other side closes (the toggles work as tabs).
      if (open && phone.matches) body.dataset[side === "left" ? "right" : "left"] = "closed";
      sync();
      body.dispatchEvent(new CustomEvent("ab:layout", { bubbles: true }));
    },
    closeFloating() {
      if (!floating()) return;
      body.dataset.left = body.dataset.right = "closed";
      sync();
    },
  };

  // Narrow screens start with the canvas clear; wide ones dock both panels.
  body.dataset.left = body.dataset.right = "closed";
  const onChange = () => {
    if (phone.matches && body.dataset.left === "open" && body.dataset.right === "open") body.dataset.left = "closed";
    sync();
  };
  phone.addEventListener("change", onChange);
  tablet.addEventListener("change", onChange);
  // Escape inside an open drawer or sheet closes it and puts the keyboard back on its toggle
  // (the closed drawer is inert: the focus could not stay in it). Keys a control inside
  // handles itself (a composer's Escape) are stopped or prevented there first.
  for (const side of ["left", "right"] as Side[]) {
    sides[side].addEventListener("keydown", (e) => {
      if (e.key !== "Escape" || e.defaultPrevented || !floating() || !layout.isOpen(side)) return;
      e.preventDefault();
      e.stopPropagation();
      toggle[side].focus();
      layout.setOpen(side, false);
    });
  }
  body.addEventListener("ab:reveal", (e) => {
    const side = (e.target as HTMLElement | null)?.closest(".ab-side");
    if (side === left && !layout.isOpen("left")) layout.setOpen("left", true);
    else if (side === right && !layout.isOpen("right")) layout.setOpen("right", true);
  });
  sync();
  return layout;
}
