/**
 * The app's icon set: Lucide (ISC licence), bundled from the `lucide` npm package. Only the
 * icons named here end up in the bundle (ES imports, tree-shaken by Vite); nothing is
 * fetched at run time. Add an icon by importing it and naming it in ICONS.
 *
 * `iconButton` is the one way to make a button that shows an icon: it always has an
 * accessible name (`aria-label`, or its visible text) and a tooltip that names the action
 * and its key ("Hand (H)"; see ui/overlay.ts installTooltips). docs/frontend.md "Icons".
 */
import {
  Anchor,
  ArrowDownToLine,
  ArrowUpToLine,
  Check,
  CircleCheck,
  ChevronLeft,
  ChevronRight,
  CircleQuestionMark,
  Clock,
  Columns2,
  Copy,
  Download,
  Dices,
  Ellipsis,
  Eraser,
  Eye,
  EyeOff,
  Film,
  Frame,
  GitBranch,
  Grid3x3,
  Hand,
  Image,
  ImagePlus,
  Layers,
  Link,
  ListFilter,
  Lock,
  LockOpen,
  Maximize,
  MessageSquare,
  MousePointer2,
  Paintbrush,
  PanelRight,
  Pause,
  Play,
  Redo2,
  RefreshCw,
  RotateCcw,
  Share2,
  SquareDashed,
  SquareDashedMousePointer,
  Star,
  StickyNote,
  Trash,
  TriangleAlert,
  Undo2,
  WandSparkles,
  X,
  ZoomIn,
  createElement,
} from "lucide";
import { h } from "./dom";

const ICONS = {
  anchor: Anchor,
  apply: Check,
  back: ArrowDownToLine,
  batch: Grid3x3,
  branch: GitBranch,
  close: X,
  compare: Columns2,
  consistent: CircleCheck,
  copy: Copy,
  dice: Dices,
  discard: Trash,
  drift: TriangleAlert,
  eraser: Eraser,
  export: Download,
  eye: Eye,
  "eye-off": EyeOff,
  film: Film,
  filter: ListFilter,
  fit: Maximize,
  frame: Frame,
  front: ArrowUpToLine,
  generate: WandSparkles,
  hand: Hand,
  help: CircleQuestionMark,
  history: Clock,
  image: Image,
  "image-plus": ImagePlus,
  layers: Layers,
  link: Link,
  lock: Lock,
  mask: Paintbrush,
  panel: PanelRight,
  more: Ellipsis,
  next: ChevronRight,
  comment: MessageSquare,
  pause: Pause,
  play: Play,
  prev: ChevronLeft,
  redo: Redo2,
  refine: RefreshCw,
  region: SquareDashedMousePointer,
  rerun: RotateCcw,
  select: MousePointer2,
  share: Share2,
  square: SquareDashed,
  star: Star,
  text: StickyNote,
  undo: Undo2,
  unlock: LockOpen,
  zoom: ZoomIn,
} as const;

export type IconName = keyof typeof ICONS;

/** An icon as an inline SVG (decorative: its button carries the name). */
export function icon(name: IconName, size = 16): SVGElement {
  const svg = createElement(ICONS[name], { width: size, height: size, "aria-hidden": "true", focusable: "false", class: "ab-svg-icon" });
  svg.dataset.icon = name;
  return svg;
}

export interface IconButtonOptions {
  icon: IconName;
  /** What the button does, as its accessible name and tooltip ("Hide Composition sketch"). */
  label: string;
  /** Its keyboard shortcut, shown in the tooltip ("Hand (H)") and as aria-keyshortcuts. */
  keys?: string;
  /** Visible text beside the icon; without it the button is icon-only. */
  text?: string;
  /** `ghost` (default: toolbar/row actions), `primary`, `danger`, or `tool` (toggle). */
  variant?: "ghost" | "primary" | "danger" | "tool" | "secondary";
  testid?: string;
  onClick?: (e: MouseEvent) => void;
}

/** A button with an icon, an accessible name and a tooltip naming it and its key. */
export function iconButton(opts: IconButtonOptions): HTMLButtonElement {
  const variant = opts.variant ?? "ghost";
  const b = h("button", {
    type: "button",
    class: `ab-ibtn ${variant}${opts.text ? " with-text" : ""}`,
    "data-tip": opts.keys ? `${opts.label} (${opts.keys})` : opts.label,
    "aria-keyshortcuts": opts.keys ? ariaKeys(opts.keys) : undefined,
    "data-testid": opts.testid,
  });
  b.append(icon(opts.icon));
  if (opts.text) b.append(h("span", { class: "ab-ibtn-text" }, opts.text));
  else b.setAttribute("aria-label", opts.label);
  if (opts.onClick) b.addEventListener("click", opts.onClick);
  return b;
}

/** Change an icon button's icon and name (a toggle that flips: Hide ↔ Show). */
export function setIconButton(b: HTMLButtonElement, name: IconName, label: string, keys?: string): void {
  b.querySelector("svg")?.replaceWith(icon(name));
  b.dataset.tip = keys ? `${label} (${keys})` : label;
  if (!b.querySelector(".ab-ibtn-text")) b.setAttribute("aria-label", label);
}

/** "⌘/Ctrl+Z" → "Control+Z Meta+Z" for aria-keyshortcuts; single keys pass through. */
function ariaKeys(keys: string): string {
  if (keys.startsWith("Ctrl+")) {
    const rest = keys.slice(5);
    return `Control+${rest} Meta+${rest}`;
  }
  return keys;
}
