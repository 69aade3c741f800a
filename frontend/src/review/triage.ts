/**
 * Keyboard triage of the review grid as a pure state machine: a key press and the current
 * state (cursor, grid width, whether the compare view or help is open) give the next state
 * and at most one command (send a decision change, open the compare view, …).
 *
 * It must not touch the DOM or the network: the review page turns commands into API calls.
 */
import type { DecisionStatus } from "./types";

export interface TriageState {
  /** Index of the focused candidate in the visible (filtered) order. */
  cursor: number;
  count: number;
  /** Candidates per row, for ArrowUp / ArrowDown. */
  columns: number;
  comparing: boolean;
  help: boolean;
  /** Index of the tile visually below / above each tile (-1: none), when the grid is not
   * a plain table (groups wrap); see `verticalNeighbours`. */
  below?: number[];
  above?: number[];
}

/** A change to send as `PUT /iterations/{id}/decision` (only the fields that change). */
export interface DecisionChange {
  status?: DecisionStatus;
  rating?: number;
  /** Clear the rating (a second press on the current rating). */
  clear_rating?: boolean;
  starred?: boolean;
}

export type TriageCommand =
  | { kind: "decide"; change: DecisionChange }
  | { kind: "toggle_star" }
  | { kind: "focus" }
  | { kind: "compare"; open: boolean }
  | { kind: "help"; open: boolean };

export interface TriageResult {
  state: TriageState;
  command: TriageCommand | null;
  /** False when the key means nothing here (the page lets the browser have it). */
  handled: boolean;
}

export const TRIAGE_KEYS: [string, string][] = [
  ["A", "approve"],
  ["X", "reject"],
  ["N", "needs changes"],
  ["U", "clear the verdict"],
  ["1 – 5", "rating"],
  ["S", "star / unstar"],
  ["← → ↑ ↓", "move"],
  ["Enter / Space", "before/after compare (Esc closes)"],
  ["?", "this help"],
];

const STATUS_KEYS: Record<string, DecisionStatus> = { a: "approved", x: "rejected", n: "needs_changes", u: "" };

export function initialTriage(count: number, columns = 4): TriageState {
  return { cursor: 0, count, columns: Math.max(1, columns), comparing: false, help: false };
}

/** Keep the cursor valid when the visible list changes (filters, live updates). */
export function withCount(state: TriageState, count: number, columns = state.columns): TriageState {
  const cursor = count === 0 ? 0 : Math.min(Math.max(0, state.cursor), count - 1);
  return { ...state, count, columns: Math.max(1, columns), cursor, comparing: state.comparing && count > 0 };
}

function move(state: TriageState, delta: number, to?: number): TriageResult {
  if (state.count === 0) return { state, command: null, handled: true };
  const target = to === undefined ? state.cursor + delta : to < 0 ? state.cursor : to;
  const cursor = Math.min(state.count - 1, Math.max(0, target));
  return { state: { ...state, cursor }, command: cursor === state.cursor ? null : { kind: "focus" }, handled: true };
}

export function triageKey(state: TriageState, key: string, mods: { ctrl?: boolean; meta?: boolean; alt?: boolean } = {}): TriageResult {
  if (mods.ctrl || mods.meta || mods.alt) return { state, command: null, handled: false };
  if (state.help) {
    if (key === "Escape" || key === "?") return { state: { ...state, help: false }, command: { kind: "help", open: false }, handled: true };
    return { state, command: null, handled: false };
  }
  if (key === "?") return { state: { ...state, help: true }, command: { kind: "help", open: true }, handled: true };
  if (key === "Escape") {
    if (!state.comparing) return { state, command: null, handled: false };
    return { state: { ...state, comparing: false }, command: { kind: "compare", open: false }, handled: true };
  }
  if (key === "Enter" || key === " ") {
    if (state.count === 0) return { state, command: null, handled: true };
    const comparing = !state.comparing;
    return { state: { ...state, comparing }, command: { kind: "compare", open: comparing }, handled: true };
  }
  switch (key) {
    case "ArrowRight":
      return move(state, 1);
    case "ArrowLeft":
      return move(state, -1);
    case "ArrowDown":
      return state.comparing ? move(state, 1) : move(state, state.columns, state.below?.[state.cursor]);
    case "ArrowUp":
      return state.comparing ? move(state, -1) : move(state, -state.columns, state.above?.[state.cursor]);
  }
  if (state.count === 0) return { state, command: null, handled: false };
  const lower = key.toLowerCase();
  if (lower in STATUS_KEYS) return { state, command: { kind: "decide", change: { status: STATUS_KEYS[lower] } }, handled: true };
  if (/^[1-5]$/.test(key)) return { state, command: { kind: "decide", change: { rating: Number(key) } }, handled: true };
  if (lower === "s") return { state, command: { kind: "toggle_star" }, handled: true };
  return { state, command: null, handled: false };
}

export interface TileRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** For each tile, the nearest tile in the next row down / up (-1 if none): the closest row
 * first, then the closest horizontal centre. Works for any wrapped layout. */
export function verticalNeighbours(rects: TileRect[]): { below: number[]; above: number[] } {
  const pick = (i: number, dir: 1 | -1): number => {
    const a = rects[i];
    if (!a) return -1;
    const ac = a.x + a.width / 2;
    let best = -1;
    let bestRow = Infinity;
    let bestDx = Infinity;
    rects.forEach((b, j) => {
      const dy = (b.y - a.y) * dir;
      if (j === i || dy < a.height / 2) return;
      const dx = Math.abs(b.x + b.width / 2 - ac);
      if (dy < bestRow - 1 || (Math.abs(dy - bestRow) <= 1 && dx < bestDx)) {
        best = j;
        bestRow = dy;
        bestDx = dx;
      }
    });
    return best;
  };
  return { below: rects.map((_, i) => pick(i, 1)), above: rects.map((_, i) => pick(i, -1)) };
}
