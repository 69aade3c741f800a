/**
 * Entry point of the review page (`/boards/<id>/review/`, templates/canvas/review.html):
 * the board's candidates grouped by lineage, filters, keyboard triage (triage.ts), a
 * before/after compare, "promote top X% to upres", and live decisions from the board socket.
 *
 * Wiring and rendering only: rules live in triage.ts and filters.ts, the server decides.
 */
import "../styles.css";
import "../jobs/jobs.css";
import "./review.css";
import { CompareDialog } from "../ui/compare";
import { h } from "../ui/dom";
import { ApiError, apiJson } from "./api";
import { type ReviewFilter, applyDecision, filterFromQuery, filterGroups, promoteCount, tierOf } from "./filters";
import { listenToBoard } from "./liveSocket";
import { ago, thumbUrl } from "./thumbs";
import { TRIAGE_KEYS, type TriageCommand, initialTriage, triageKey, verticalNeighbours, withCount } from "./triage";
import { CommentStore } from "./threads";
import { type Candidate, type Decision, type ReviewComment, type ReviewGroup, type ReviewList, STATUS_LABEL, TIERS } from "./types";

interface ReviewBootstrap {
  board_id: string;
  board_name: string;
  ws_url: string;
  api_base: string;
  role: string;
  can_review: boolean;
  user: { id: number | string; name: string };
}

function readBootstrap(): ReviewBootstrap {
  const el = document.getElementById("review-bootstrap");
  if (!el?.textContent) throw new Error("review-bootstrap is missing from the page");
  return JSON.parse(el.textContent) as ReviewBootstrap;
}

function select(label: string, testid: string, options: [string, string][], initial: string, onChange: (v: string) => void): HTMLLabelElement {
  const el = h("select", { "data-testid": testid });
  for (const [value, text] of options) el.append(h("option", { value, selected: value === initial }, text));
  el.addEventListener("change", () => onChange(el.value));
  return h("label", { class: "rv-filter" }, `${label} `, el);
}

export function badgeText(d: Decision | null): string {
  if (!d) return "";
  const parts = [];
  if (d.status) parts.push(STATUS_LABEL[d.status]);
  if (d.rating) parts.push("★".repeat(d.rating));
  if (d.starred) parts.push("⭐");
  return parts.join(" · ");
}

function mount(root: HTMLElement, boot: ReviewBootstrap): void {
  const api = `${boot.api_base}/boards/${boot.board_id}`;
  let groups: ReviewGroup[] = [];
  // The inbox links here with ?status=undecided; any API filter works in the URL.
  let filter: ReviewFilter = filterFromQuery(window.location.search);
  let visible: Candidate[] = [];
  let state = initialTriage(0);
  // Comments pinned to candidates, counted on their tiles (open threads only).
  const comments = new CommentStore();
  const openComments = (id: string) =>
    comments.threads({ includeResolved: false }).filter((t) => t.root.anchor.iteration === id).reduce((n, t) => n + 1 + t.replies.length, 0);
  const compare = new CompareDialog();
  const status = h("div", { class: "rv-status", role: "status", "data-testid": "review-status" });
  const live = h("span", { class: "rv-live", "data-testid": "review-live" }, "connecting…");
  const grid = h("div", { class: "rv-grid", "data-testid": "review-grid" });
  const tiers = h("span", { class: "rv-tiers", "data-testid": "review-tiers" });
  const help = h(
    "div",
    { class: "rv-help", hidden: true, role: "dialog", "aria-label": "Keyboard shortcuts", "data-testid": "review-help" },
    h("h3", {}, "Triage with the keyboard"),
    h("table", {}, ...TRIAGE_KEYS.map(([k, what]) => h("tr", {}, h("th", {}, k), h("td", {}, what)))),
    h("p", { class: "muted" }, "Esc or ? closes this."),
  );

  const say = (text: string, kind: "info" | "error" = "info") => {
    status.textContent = text;
    status.dataset.kind = kind;
  };

  const setFilter = (patch: Partial<ReviewFilter>) => {
    filter = { ...filter, ...patch };
    render();
  };
  const filters = h(
    "div",
    { class: "rv-filters" },
    select("Status", "filter-status", [["", "any"], ["undecided", "undecided"], ["approved", "approved"], ["needs_changes", "needs changes"], ["rejected", "rejected"]], filter.status, (v) =>
      setFilter({ status: v as ReviewFilter["status"] }),
    ),
    select("Rating ≥", "filter-rating", [["", "any"], ...[1, 2, 3, 4, 5].map((n): [string, string] => [String(n), String(n)])], String(filter.ratingGte ?? ""), (v) => setFilter({ ratingGte: v ? Number(v) : null })),
    select("Starred", "filter-starred", [["", "any"], ["true", "starred"], ["false", "not starred"]], filter.starred === null ? "" : String(filter.starred), (v) => setFilter({ starred: v === "" ? null : v === "true" })),
    select("Tier", "filter-tier", [["", "any"], ...TIERS.map((t): [string, string] => [t, t])], filter.tier, (v) => setFilter({ tier: v as ReviewFilter["tier"] })),
  );

  const percent = h("input", { type: "number", min: "1", max: "100", step: "1", value: "10", class: "rv-percent", "data-testid": "promote-percent", "aria-label": "Percent to promote" });
  const promoteBtn = h("button", { type: "button", class: "ab-btn primary", "data-testid": "promote", disabled: !boot.can_review }, "Promote top % to upres");
  const promoteResult = h("span", { class: "rv-promote-result", "data-testid": "promote-result" });
  promoteBtn.addEventListener("click", async () => {
    const p = Number(percent.value);
    const rated = groups.flatMap((g) => g.candidates).filter((c) => c.decision?.rating && c.decision.status !== "rejected" && ["generation", "refinement"].includes(tierOf(c))).length;
    promoteBtn.disabled = true;
    try {
      const res = await apiJson<{ promoted: { iteration: string; job: { id: string } }[] }>("POST", `${api}/promote`, { percent: p });
      promoteResult.textContent = `${res.promoted.length} upscale job${res.promoted.length === 1 ? "" : "s"} queued (top ${p}% of ${rated} rated).`;
      await load();
    } catch (e) {
      promoteResult.textContent = e instanceof ApiError ? e.message : String(e);
      promoteResult.dataset.kind = "error";
    } finally {
      promoteBtn.disabled = !boot.can_review;
    }
  });
  percent.addEventListener("input", () => {
    const rated = groups.flatMap((g) => g.candidates).filter((c) => c.decision?.rating && c.decision.status !== "rejected" && ["generation", "refinement"].includes(tierOf(c))).length;
    promoteResult.textContent = `Would promote ${promoteCount(rated, Number(percent.value))} of ${rated} rated.`;
    promoteResult.dataset.kind = "info";
  });

  const helpBtn = h("button", { type: "button", class: "ab-btn", "data-testid": "review-help-button" }, "Shortcuts (?)");
  helpBtn.addEventListener("click", () => run(triageKey(state, "?").command, triageKey(state, "?").state));

  const tileOf = new Map<string, HTMLElement>();

  function tile(c: Candidate, index: number): HTMLElement {
    const d = c.decision;
    const el = h(
      "button",
      {
        type: "button",
        class: `rv-tile status-${d?.status || "undecided"}`,
        "data-testid": "candidate",
        "data-id": c.id,
        "data-status": d?.status || "undecided",
        "data-rating": d?.rating ?? "",
        "data-starred": d?.starred ? "true" : "false",
        "data-tier": tierOf(c),
        "aria-current": index === state.cursor ? "true" : undefined,
      },
      h("img", { src: thumbUrl(c.asset, 384), alt: `Candidate ${index + 1}`, loading: "lazy" }),
      h("span", { class: "rv-badge", "data-testid": "badge" }, badgeText(d)),
      h("span", { class: "rv-tier" }, tierOf(c)),
      openComments(c.id) ? h("span", { class: "rv-comments", "data-testid": "comment-count", title: "Open comments on this candidate" }, `💬 ${openComments(c.id)}`) : null,
      h("span", { class: "rv-who", "data-testid": "decided-by" }, d ? `${d.decided_by.name}${d.decided_by.guest ? " (guest)" : ""} · ${ago(d.decided_at)}` : "no decision yet"),
    );
    if (d) el.title = `Decided by ${d.decided_by.name} at ${new Date(d.decided_at).toLocaleString()}`;
    el.addEventListener("click", () => {
      state = { ...state, cursor: index };
      highlight();
    });
    el.addEventListener("dblclick", () => run({ kind: "compare", open: true }, { ...state, cursor: index, comparing: true }));
    tileOf.set(c.id, el);
    return el;
  }

  function render(): void {
    const focused = visible[state.cursor]?.id;
    const shown = filterGroups(groups, filter);
    visible = shown.flatMap((g) => g.candidates);
    // Keep the focus on the same candidate when others arrive or leave the view.
    const kept = visible.findIndex((c) => c.id === focused);
    if (kept >= 0) state = { ...state, cursor: kept };
    tileOf.clear();
    grid.replaceChildren();
    let i = 0;
    for (const g of shown) {
      const r = g.region;
      const head = h("h3", { class: "rv-group-head" }, `Region ${Math.round(r.width)}×${Math.round(r.height)} at ${Math.round(r.x)}, ${Math.round(r.y)} · ${g.candidates.length} candidate${g.candidates.length === 1 ? "" : "s"}`);
      const row = h("div", { class: "rv-row" });
      for (const c of g.candidates) row.append(tile(c, i++));
      grid.append(h("section", { class: "rv-group", "data-testid": "review-group" }, head, row));
    }
    if (!visible.length) grid.append(h("p", { class: "muted rv-empty" }, groups.length ? "No candidate matches these filters." : "No candidates yet. Run a region job on the board; its results appear here."));
    state = withCount(state, visible.length, columns());
    highlight();
  }

  function columns(): number {
    const first = grid.querySelector<HTMLElement>(".rv-tile");
    if (!first) return 4;
    const row = first.parentElement as HTMLElement;
    return Math.max(1, Math.floor((row.clientWidth + 12) / (first.offsetWidth + 12)));
  }

  /** Which tile is above / below which, from where the browser actually put them. */
  function layout(): { below: number[]; above: number[] } {
    return verticalNeighbours(visible.map((c) => tileOf.get(c.id)?.getBoundingClientRect() ?? { x: 0, y: 0, width: 0, height: 0 }));
  }

  function highlight(): void {
    for (const el of grid.querySelectorAll(".rv-tile[aria-current]")) el.removeAttribute("aria-current");
    const c = visible[state.cursor];
    const el = c && tileOf.get(c.id);
    if (el) {
      el.setAttribute("aria-current", "true");
      el.scrollIntoView({ block: "nearest" });
    }
    grid.dataset.cursor = c ? c.id : "";
  }

  async function decide(c: Candidate, change: object): Promise<void> {
    try {
      const d = await apiJson<Decision>("PUT", `${boot.api_base}/iterations/${c.id}/decision`, change);
      applyDecision(groups, d);
      render();
      say(`${badgeText(d) || "Cleared"} — saved.`);
    } catch (e) {
      say(e instanceof ApiError ? e.message : String(e), "error");
    }
  }

  const historyEl = h("ol", { class: "rv-history", "data-testid": "decision-history", "aria-label": "Decision history" });
  compare.element.append(historyEl);

  /** Every change to the candidate's decision, newest last: who changed what, when. */
  async function showHistory(c: Candidate): Promise<void> {
    historyEl.replaceChildren();
    try {
      const events = await apiJson<{ changes: Record<string, [unknown, unknown]>; by: { name: string; guest: boolean }; at: string }[]>("GET", `${boot.api_base}/iterations/${c.id}/decision/history`);
      historyEl.replaceChildren(
        ...events.map((e) => {
          const what = Object.entries(e.changes)
            .map(([field, [, to]]) => `${field} → ${to === "" || to === null ? "cleared" : String(to)}`)
            .join(", ");
          return h("li", {}, `${e.by.name}${e.by.guest ? " (guest)" : ""}: ${what} · ${new Date(e.at).toLocaleString()}`);
        }),
      );
      if (!events.length) historyEl.append(h("li", { class: "muted" }, "No decisions yet."));
    } catch (e) {
      historyEl.append(h("li", { class: "muted" }, e instanceof ApiError ? e.message : String(e)));
    }
  }

  function openCompare(c: Candidate): void {
    void showHistory(c);
    const before = c.source_asset ?? groups.find((g) => g.candidates.includes(c))?.source_asset ?? null;
    compare.open({ before: before ? thumbUrl(before, 1600) : thumbUrl(c.asset, 1600), after: thumbUrl(c.asset, 1600), title: before ? "Before / after" : "No source image recorded: showing the result" });
    compare.element.focus();
  }

  function run(command: TriageCommand | null, next: typeof state): void {
    state = next;
    const c = visible[state.cursor];
    if (!command) return;
    switch (command.kind) {
      case "focus":
        highlight();
        if (compare.isOpen && c) openCompare(c);
        return;
      case "compare":
        if (command.open && c) openCompare(c);
        else compare.close();
        return;
      case "help":
        help.hidden = !command.open;
        return;
      case "decide":
        if (c && boot.can_review) void decide(c, command.change);
        else if (!boot.can_review) say("Your role can look but not decide. Ask an owner for the reviewer role.", "error");
        return;
      case "toggle_star":
        if (c && boot.can_review) void decide(c, { starred: !c.decision?.starred });
        return;
    }
  }

  window.addEventListener("keydown", (e) => {
    const t = e.target as HTMLElement | null;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT") && !t.classList.contains("ab-compare-slider")) return;
    state = { ...state, comparing: compare.isOpen, help: !help.hidden, columns: columns(), ...layout() };
    const result = triageKey(state, e.key, { ctrl: e.ctrlKey, meta: e.metaKey, alt: e.altKey });
    if (!result.handled) return;
    e.preventDefault();
    run(result.command, result.state);
  });

  let reloadTimer: ReturnType<typeof setTimeout> | null = null;
  function reloadSoon(): void {
    // Results of one job arrive together: one reload for the burst.
    reloadTimer ??= setTimeout(() => {
      reloadTimer = null;
      void load();
    }, 400);
  }

  async function load(): Promise<void> {
    try {
      const [list, all] = await Promise.all([apiJson<ReviewList>("GET", `${api}/review`), apiJson<ReviewComment[]>("GET", `${api}/comments`)]);
      for (const c of all) comments.upsert(c);
      groups = list.groups;
      tiers.textContent = TIERS.map((t) => `${t} ${list.tiers[t] ?? 0}`).join(" · ");
      render();
    } catch (e) {
      say(e instanceof ApiError ? e.message : String(e), "error");
    }
  }

  root.replaceChildren(
    h(
      "header",
      { class: "rv-head" },
      h("h2", {}, `Review · ${boot.board_name}`),
      h("a", { class: "ab-btn", href: `/boards/${boot.board_id}/` }, "Open the canvas"),
      tiers,
      live,
      h("span", { class: "ab-spacer" }),
      helpBtn,
    ),
    h("div", { class: "rv-bar" }, filters, h("span", { class: "ab-spacer" }), percent, promoteBtn, promoteResult),
    status,
    grid,
    compare.element,
    help,
  );

  listenToBoard(
    boot.ws_url,
    (msg) => {
      if (msg.type === "decision") {
        if (applyDecision(groups, msg.decision)) render();
        else reloadSoon(); // a candidate we have not seen yet
        say(`${msg.decision.decided_by.name}: ${badgeText(msg.decision) || "cleared"}`);
      } else if (msg.type === "comment") {
        comments.upsert(msg.comment);
        render();
        say(`${msg.comment.author.name} commented: ${msg.comment.body.slice(0, 80)}`);
      } else if (msg.type === "iteration") {
        reloadSoon(); // a new or changed result, e.g. the upscale of a promoted candidate
      }
    },
    (s) => {
      live.textContent = s === "online" ? "live" : s === "denied" ? "no live updates (access refused)" : "reconnecting…";
      live.dataset.state = s;
    },
  );
  void load();
  window.__anchorboardReview = { get state() { return state; }, get visible() { return visible; }, reload: load };
}

declare global {
  interface Window {
    __anchorboardReview?: Record<string, unknown>;
  }
}

const root = document.getElementById("anchorboard-review");
if (root) mount(root, readBootstrap());
