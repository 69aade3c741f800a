/**
 * One candidate on the review page: its picture (click or Enter: before/after compare),
 * its name ("Result 2"), its drift mark and, when flagged, "Why flagged" (the flags'
 * sentences on demand), tier, comment count, who decided last — and, for reviewers,
 * real buttons for every triage key: Approve (A), Needs changes (N), Reject (X), a 1–5
 * rating and the star (S), each showing its key (icons from ui/icons, tooltips from
 * `data-tip`). Pressing the pressed verdict or rating again clears it. A clip's card has
 * a button to its comments, pinned to moments of the clip (clipComments.ts).
 *
 * It builds DOM and reports clicks; decisions go through the callbacks (main.ts sends them).
 */
import { h } from "../ui/dom";
import { type IconName, icon } from "../ui/icons";
import type { DecisionChange } from "./triage";
import { thumbUrl } from "./thumbs";
import { type Candidate, type DecisionStatus, STATUS_LABEL } from "./types";
import { TIER_LABEL, decidedLine, plural } from "./words";
import { tierOf } from "./filters";
import { driftBadge, whyFlagged } from "../ui/driftBadge";
import { driftState } from "./drift";

export interface CardActions {
  /** The card's picture was pressed (select it and compare). */
  open(c: Candidate): void;
  /** Any press inside the card makes it the current one. */
  focus(c: Candidate): void;
  /** Absent for people who may look but not decide: no controls are drawn then. */
  decide?(c: Candidate, change: DecisionChange): void;
  /** A clip's comments (review/clipComments.ts), pinned to moments of the clip. */
  clipComments?(c: Candidate): void;
}

const VERDICTS: [Exclude<DecisionStatus, "">, string, string, IconName][] = [
  ["approved", "Approve", "A", "apply"],
  ["needs_changes", "Needs changes", "N", "rerun"],
  ["rejected", "Reject", "X", "close"],
];

function kbd(key: string): HTMLElement {
  return h("kbd", { "aria-hidden": "true" }, key);
}

export function candidateName(c: Candidate, index: number): string {
  return `Result ${c.number ?? index + 1}`;
}

/** A clip's player: its poster, muted, looping, with the browser's controls. */
export function clipPlayer(c: Candidate, name: string): HTMLVideoElement {
  const video = h("video", {
    src: c.clip?.url,
    poster: thumbUrl(c.asset, 384),
    controls: true,
    loop: true,
    playsinline: true,
    preload: "metadata",
    "aria-label": `${name}, video clip`,
    "data-testid": "candidate-clip",
  });
  video.muted = true; // the attribute alone does not mute a script-made element
  return video;
}

/** Short text of a decision for the picture's corner: "Approved · 4★ · Starred". */
export function badgeText(d: Candidate["decision"]): string {
  if (!d) return "";
  const parts: string[] = [];
  if (d.status) parts.push(STATUS_LABEL[d.status] ?? d.status);
  if (d.rating) parts.push(`${d.rating}★`);
  if (d.starred) parts.push("Starred");
  return parts.join(" · ");
}

export function buildCard(c: Candidate, index: number, openComments: number, actions: CardActions): HTMLElement {
  const d = c.decision;
  const name = candidateName(c, index);
  const status = d?.status || "undecided";
  const badges = [
    h("span", { class: "rv-badge", "data-testid": "badge", "data-status": d?.status ?? "" }, badgeText(d)),
    openComments ? h("span", { class: "rv-comments", "data-testid": "comment-count", title: "Open comments on this candidate" }, plural(openComments, "comment")) : null,
  ];
  let picture: HTMLElement;
  if (c.clip) {
    // A clip plays in place (its own controls; a <video> cannot sit inside a button).
    picture = h("div", { class: "rv-thumb rv-clip" }, clipPlayer(c, name), ...badges);
  } else {
    picture = h(
      "button",
      { type: "button", class: "rv-thumb", "data-testid": "candidate-open", "aria-label": `Compare ${name} with its source (Enter)`, "data-tip": "Compare before / after (Enter)" },
      h("img", { src: thumbUrl(c.asset, 384), alt: "", loading: "lazy" }),
      ...badges,
    );
    picture.addEventListener("click", () => actions.open(c));
  }
  const card = h(
    "article",
    {
      class: `rv-card status-${status}`,
      "data-testid": "candidate",
      "data-id": c.id,
      "data-status": status,
      "data-rating": d?.rating ?? "",
      "data-starred": d?.starred ? "true" : "false",
      "data-tier": tierOf(c),
      "data-drift": driftState(c.consistency),
      "aria-label": name,
    },
    picture,
    h("div", { class: "rv-card-head" }, h("strong", { class: "rv-name", "data-testid": "candidate-name" }, name), driftBadge(c.consistency, { withText: true, focusable: true }), h("span", { class: "rv-tier", "data-tier": tierOf(c) }, TIER_LABEL[tierOf(c)])),
  );
  const why = whyFlagged(c.consistency, name, c.id);
  if (why) card.append(why);
  if (c.clip && actions.clipComments) {
    const talk = h("button", { type: "button", class: "ab-btn small", "data-testid": "candidate-clip-comments", "aria-label": `Comments on ${name}'s clip, pinned to moments` }, openComments ? `Comments (${openComments})` : "Comment on a moment");
    talk.addEventListener("click", (e) => {
      e.stopPropagation();
      actions.focus(c);
      actions.clipComments?.(c);
    });
    card.append(talk);
  }
  if (actions.decide) card.append(...decisionControls(c, name, actions));
  const who = h("p", { class: "rv-who", "data-testid": "decided-by" }, decidedLine(d));
  if (d) who.title = `${new Date(d.decided_at).toLocaleString()}`;
  card.append(who);
  card.addEventListener("click", () => actions.focus(c));
  return card;
}

/** The verdict buttons and the rating/star row for one candidate (cards and the compare). */
export function decisionControls(c: Candidate, name: string, actions: CardActions): HTMLElement[] {
  return [verdictButtons(c, name, actions), ratingButtons(c, name, actions)];
}

function verdictButtons(c: Candidate, name: string, actions: CardActions): HTMLElement {
  const row = h("div", { class: "rv-verdicts", role: "group", "aria-label": `Verdict on ${name}` });
  for (const [status, label, key, glyph] of VERDICTS) {
    const pressed = c.decision?.status === status;
    const b = h(
      "button",
      { type: "button", class: `rv-verdict ${status}`, "data-testid": `decide-${status}`, "aria-pressed": String(pressed), "aria-keyshortcuts": key, "data-tip": pressed ? `${label}: press again to clear (U)` : `${label} (${key})` },
      h("span", {}, label),
      h("span", { class: "rv-keyline" }, icon(glyph, 12), kbd(key)),
    );
    b.addEventListener("click", (e) => {
      e.stopPropagation();
      actions.focus(c);
      actions.decide?.(c, { status: pressed ? "" : status });
    });
    row.append(b);
  }
  return row;
}

function ratingButtons(c: Candidate, name: string, actions: CardActions): HTMLElement {
  const rating = c.decision?.rating ?? 0;
  const stars = h("div", { class: "rv-stars", role: "group", "aria-label": `Rating of ${name}` });
  for (let n = 1; n <= 5; n++) {
    const b = h(
      "button",
      { type: "button", class: `rv-rate${n <= rating ? " on" : ""}`, "data-testid": `rate-${n}`, "aria-pressed": String(rating === n), "aria-label": `Rate ${n} of 5`, "aria-keyshortcuts": String(n), "data-tip": rating === n ? `Rated ${n}: press again to clear` : `Rate ${n} of 5 (${n})` },
      icon("star", 18),
    );
    b.addEventListener("click", (e) => {
      e.stopPropagation();
      actions.focus(c);
      actions.decide?.(c, rating === n ? { rating: undefined, clear_rating: true } : { rating: n });
    });
    stars.append(b);
  }
  stars.append(h("span", { class: "rv-keys", "aria-hidden": "true" }, kbd("1"), "–", kbd("5")));
  const starred = Boolean(c.decision?.starred);
  const star = h(
    "button",
    { type: "button", class: `rv-fav${starred ? " on" : ""}`, "data-testid": "toggle-star", "aria-pressed": String(starred), "aria-keyshortcuts": "S", "data-tip": starred ? "Remove the star (S)" : "Star it (S)" },
    icon("star", 14),
    h("span", {}, "Star"),
    kbd("S"),
  );
  star.addEventListener("click", (e) => {
    e.stopPropagation();
    actions.focus(c);
    actions.decide?.(c, { starred: !starred });
  });
  return h("div", { class: "rv-rating" }, stars, star);
}
