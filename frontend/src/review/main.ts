/**
 * Entry point of the review page (`/boards/<id>/review/`, templates/canvas/review.html):
 * the board's candidates grouped by job ("Hero shot · 4 variations"), tier counts that add
 * up, filters, triage by mouse (buttons on each card, card.ts) or keyboard (triage.ts), a
 * before/after compare with the decision history in words (words.ts), "promote top X% to
 * upres", live decisions and drift scores from the board socket, a "Drifted" filter and a
 * "by consistency score" order (drift.ts), for owners the board's drift triage, on a
 * board with batches, the batch matrix (matrix.ts: rows × columns of a batch's values),
 * and a clip's comments pinned to its moments (clipComments.ts).
 *
 * Wiring and rendering only: rules live in triage.ts, filters.ts and words.ts; the server
 * decides.
 */
import "../styles.css";
import "../jobs/jobs.css";
import "./review.css";
import { CompareDialog } from "../ui/compare";
import { h } from "../ui/dom";
import { ApiError, apiJson } from "./api";
import { type ReviewFilter, applyDecision, driftQuery, filterFromQuery, filterGroups, promoteCount, tierOf } from "./filters";
import { listenToBoard } from "./liveSocket";
import { TriageOffer } from "./triageOffer";
import { applyConsistency, byConsistency } from "./drift";
import { thumbUrl } from "./thumbs";
import { type DecisionChange, TRIAGE_KEYS, type TriageCommand, initialTriage, triageKey, verticalNeighbours, withCount } from "./triage";
import { CommentStore } from "./threads";
import { ClipComments } from "./clipComments";
import { badgeText, buildCard, candidateName, decisionControls } from "./card";
import { BatchMatrix } from "./matrix";
import { installTooltips } from "../ui/overlay";
import { type Candidate, type Decision, type ReviewComment, type ReviewGroup, type ReviewList, TIERS } from "./types";
import { type HistoryEvent, TIER_LABEL, describeEvent, groupCount, groupDetail, plural, tierSummary, whoName } from "./words";

interface ReviewBootstrap {
  board_id: string;
  board_name: string;
  ws_url: string;
  api_base: string;
  role: string;
  can_review: boolean;
  can_edit?: boolean;
  can_manage?: boolean;
  drift_triage?: string;
  user: { id: number | string; name: string };
}

type SortOrder = "job" | "consistency";

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

function mount(root: HTMLElement, boot: ReviewBootstrap): void {
  const api = `${boot.api_base}/boards/${boot.board_id}`;
  let groups: ReviewGroup[] = [];
  // The inbox links here with ?status=undecided; any API filter works in the URL.
  let filter: ReviewFilter = filterFromQuery(window.location.search);
  let sort: SortOrder = new URLSearchParams(window.location.search).get("sort") === "consistency" ? "consistency" : "job";
  let visible: Candidate[] = [];
  let state = initialTriage(0);
  // Comments pinned to candidates, counted on their tiles (open threads only).
  const comments = new CommentStore();
  const openComments = (id: string) =>
    comments.threads({ includeResolved: false }).filter((t) => t.root.anchor.iteration === id).reduce((n, t) => n + 1 + t.replies.length, 0);
  const compare = new CompareDialog();
  const status = h("div", { class: "rv-status", role: "status", "data-testid": "review-status" });
  const live = h("span", { class: "rv-live", "data-testid": "review-live" }, "connecting…");
  // The page's home for the keyboard: where focus goes when what had it is gone (ui/focusReturn.ts).
  const grid = h("div", { class: "rv-grid", id: "review-grid", tabindex: "-1", role: "region", "aria-label": "Candidates", "data-testid": "review-grid", "data-focus-home": true });
  const tiers = h("p", { class: "rv-tiers", "data-testid": "review-tiers" });
  let tierCounts: ReviewList["tiers"] | null = null;
  let total = 0;
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
    const asked = driftQuery(filter, sort);
    filter = { ...filter, ...patch };
    // The drift filter is the server's too (?drift=drifted): ask again when it changes.
    if (driftQuery(filter, sort) !== asked) void load();
    else render();
  };
  const filters = h(
    "div",
    { class: "rv-filters" },
    select("Status", "filter-status", [["", "any"], ["undecided", "undecided"], ["approved", "approved"], ["needs_changes", "needs changes"], ["rejected", "rejected"]], filter.status, (v) =>
      setFilter({ status: v as ReviewFilter["status"] }),
    ),
    select("Rating ≥", "filter-rating", [["", "any"], ...[1, 2, 3, 4, 5].map((n): [string, string] => [String(n), String(n)])], String(filter.ratingGte ?? ""), (v) => setFilter({ ratingGte: v ? Number(v) : null })),
    select("Starred", "filter-starred", [["", "any"], ["true", "starred"], ["false", "not starred"]], filter.starred === null ? "" : String(filter.starred), (v) => setFilter({ starred: v === "" ? null : v === "true" })),
    select("Tier", "filter-tier", [["", "any"], ...TIERS.map((t): [string, string] => [t, TIER_LABEL[t]])], filter.tier, (v) => setFilter({ tier: v as ReviewFilter["tier"] })),
    select("Drift", "filter-drift", [["", "any"], ["drifted", "Drifted"]], filter.drifted ? "drifted" : "", (v) => setFilter({ drifted: v === "drifted" })),
    select("Sort", "sort", [["job", "by job"], ["consistency", "by consistency score"]], sort, (v) => {
      sort = v === "consistency" ? "consistency" : "job";
      void load(); // ?sort=drift: the server's order, kept live by byConsistency
    }),
  );
  // Owners choose what happens to results the drift check flags as they land (and, offered
  // when the setting goes on, to those already flagged: triageOffer.ts).
  const triageOffer = new TriageOffer(api, say);
  const triageSetting = boot.can_manage
    ? select(
        "Flagged results",
        "drift-triage",
        [["off", "leave for review"], ["route", "mark Needs changes"], ["reject", "reject"]],
        boot.drift_triage ?? "off",
        (v) => {
          void apiJson<{ drift_triage: string; untriaged?: number }>("PUT", `${api}/drift-triage`, { drift_triage: v })
            .then((r) => {
              say(r.drift_triage === "off" ? "Flagged results are left for review." : r.drift_triage === "route" ? "Results flagged from now on are marked Needs changes." : "Results flagged from now on are rejected.");
              triageOffer.show(r.drift_triage, r.untriaged ?? 0);
            })
            .catch((e) => say(e instanceof ApiError ? e.message : String(e), "error"));
        },
      )
    : null;

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

  const cardActions = {
    open: (c: Candidate) => {
      moveTo(c);
      run({ kind: "compare", open: true }, { ...state, comparing: true });
    },
    focus: (c: Candidate) => moveTo(c),
    decide: boot.can_review ? (c: Candidate, change: DecisionChange) => void decide(c, change) : undefined,
    clipComments: (c: Candidate) => clipComments.open(c, candidateName(c, Math.max(0, visible.findIndex((x) => x.id === c.id)))),
  };
  // A clip's comments, pinned to its moments: a dialog of its own, so re-rendering the grid
  // (a decision, a comment arriving) does not stop the clip being reviewed.
  const clipComments = new ClipComments({
    store: comments,
    post: boot.can_review ? (body) => apiJson<ReviewComment>("POST", `${api}/comments`, body) : undefined,
    changed: () => render(),
  });

  function moveTo(c: Candidate): void {
    const index = visible.findIndex((x) => x.id === c.id);
    if (index < 0 || index === state.cursor) return;
    state = { ...state, cursor: index };
    highlight();
  }

  function groupHead(g: ReviewGroup): HTMLElement {
    const title = g.title || "Untitled region";
    return h(
      "header",
      { class: "rv-group-head" },
      h("h2", { class: "rv-group-title", "data-testid": "group-title" }, title),
      h("span", { class: "rv-count", "data-testid": "group-count" }, groupCount(g)),
      ...groupDetail(g).map((text) => h("span", { class: "rv-detail", title: text }, text)),
    );
  }

  function render(): void {
    const focused = visible[state.cursor]?.id;
    const filtered = filterGroups(groups, filter);
    // By consistency: one list across jobs, the worst first (drifted, then lowest score).
    const shown: ReviewGroup[] =
      sort === "consistency" && filtered.length
        ? [{ job: "", kind: "variations", title: "All candidates, least consistent first", root: "", region: { x: 0, y: 0, width: 0, height: 0 }, source_asset: null, candidates: byConsistency(filtered.flatMap((g) => g.candidates)) }]
        : filtered;
    visible = shown.flatMap((g) => g.candidates);
    // Keep the focus on the same candidate when others arrive or leave the view.
    const kept = visible.findIndex((c) => c.id === focused);
    if (kept >= 0) state = { ...state, cursor: kept };
    const hadFocus = grid.contains(document.activeElement);
    tileOf.clear();
    grid.replaceChildren();
    let i = 0;
    for (const g of shown) {
      const row = h("div", { class: "rv-row" });
      for (const c of g.candidates) {
        const card = buildCard(c, i++, openComments(c.id), cardActions);
        tileOf.set(c.id, card);
        row.append(card);
      }
      const head = sort === "consistency" ? h("header", { class: "rv-group-head" }, h("h2", { class: "rv-group-title", "data-testid": "group-title" }, g.title ?? ""), h("span", { class: "rv-count" }, plural(g.candidates.length, "candidate"))) : groupHead(g);
      grid.append(h("section", { class: `rv-group kind-${g.kind ?? "variations"}`, "data-testid": "review-group", "data-job": g.job ?? "", "aria-label": sort === "consistency" ? (g.title ?? "") : `${g.title || "Untitled region"}, ${groupCount(g)}`, style: `--cards: ${Math.min(4, g.candidates.length)}` }, head, row));
    }
    if (!visible.length) grid.append(h("p", { class: "muted rv-empty" }, groups.length ? "No candidate matches these filters." : "No candidates yet. Run a region job on the board; its results appear here."));
    renderTiers(visible.length);
    state = withCount(state, visible.length, columns());
    highlight(hadFocus, hadFocus);
  }

  /** "12 candidates: Generation 8 · Refinement 2 · Upres 2 · Final 0" — they add up. */
  function renderTiers(showing: number): void {
    if (!tierCounts) return;
    const parts: (HTMLElement | string)[] = [h("strong", { "data-testid": "candidate-total" }, plural(total, "candidate"))];
    for (const { tier, label, count } of tierSummary(tierCounts)) {
      parts.push(" · ", h("span", { class: "rv-tier-count", "data-testid": "tier-count", "data-tier": tier, "data-count": count }, `${label} ${count}`));
    }
    if (showing !== total) parts.push(h("span", { class: "rv-showing", "data-testid": "showing" }, ` — showing ${showing} of ${total}`));
    tiers.replaceChildren(...parts);
  }

  function columns(): number {
    const first = grid.querySelector<HTMLElement>(".rv-card");
    if (!first) return 4;
    const row = first.parentElement as HTMLElement;
    return Math.max(1, Math.floor((row.clientWidth + 12) / (first.offsetWidth + 12)));
  }

  /** Which tile is above / below which, from where the browser actually put them. */
  function layout(): { below: number[]; above: number[] } {
    return verticalNeighbours(visible.map((c) => tileOf.get(c.id)?.getBoundingClientRect() ?? { x: 0, y: 0, width: 0, height: 0 }));
  }

  /** Mark the current card; move the keyboard focus with it when the focus is in the grid.
   * `scroll`: bring it into view (a move by keys or a click; not a re-render the person did
   * not ask for, which on a phone scrolled the page past its header on load and yanked it
   * back to the card on every live update). */
  function highlight(keepFocus = grid.contains(document.activeElement), scroll = true): void {
    for (const el of grid.querySelectorAll(".rv-card[aria-current]")) el.removeAttribute("aria-current");
    const c = visible[state.cursor];
    const el = c && tileOf.get(c.id);
    if (el) {
      el.setAttribute("aria-current", "true");
      if (scroll) el.scrollIntoView({ block: "nearest" });
      if (keepFocus && !el.contains(document.activeElement)) el.querySelector<HTMLElement>(".rv-thumb")?.focus({ preventScroll: true });
    }
    grid.dataset.cursor = c ? c.id : "";
  }

  async function decide(c: Candidate, change: DecisionChange): Promise<void> {
    const index = visible.findIndex((x) => x.id === c.id);
    try {
      const d = await apiJson<Decision>("PUT", `${boot.api_base}/iterations/${c.id}/decision`, change);
      applyDecision(groups, d);
      render();
      say(`${candidateName(c, index)}: ${badgeText(d) || "no verdict"} — saved.`);
      if (compare.isOpen && comparing?.id === c.id) {
        renderCompareControls();
        void showHistory(c);
      }
    } catch (e) {
      say(e instanceof ApiError ? e.message : String(e), "error");
    }
  }

  const historyEl = h("ol", { class: "rv-history", "data-testid": "decision-history", "aria-label": "Decision history" });
  // Inside the compare: the same decision buttons as the card (so a mouse can decide while
  // comparing) and the history in words.
  const compareDecide = h("div", { class: "rv-compare-decide", "data-testid": "compare-decide" });
  compare.extra.append(compareDecide, h("section", { class: "rv-compare-history" }, h("h4", {}, "Decision history"), historyEl));
  let comparing: Candidate | null = null;

  function renderCompareControls(): void {
    const c = comparing && visible.find((x) => x.id === comparing?.id);
    if (!c || !cardActions.decide) {
      compareDecide.replaceChildren();
      return;
    }
    compareDecide.replaceChildren(...decisionControls(c, candidateName(c, visible.indexOf(c)), cardActions));
  }

  /** Every change to the candidate's decision, newest last: who changed what, when. */
  async function showHistory(c: Candidate): Promise<void> {
    historyEl.replaceChildren();
    try {
      const events = await apiJson<HistoryEvent[]>("GET", `${boot.api_base}/iterations/${c.id}/decision/history`);
      const now = Date.now();
      historyEl.replaceChildren(...events.map((e) => h("li", { title: new Date(e.at).toLocaleString() }, describeEvent(e, now))));
      if (!events.length) historyEl.append(h("li", { class: "muted" }, "No decisions yet."));
    } catch (e) {
      historyEl.append(h("li", { class: "muted" }, e instanceof ApiError ? e.message : String(e)));
    }
  }

  function openCompare(c: Candidate): void {
    comparing = c;
    renderCompareControls();
    void showHistory(c);
    const group = groups.find((g) => g.candidates.some((x) => x.id === c.id));
    const before = c.source_asset ?? group?.source_asset ?? null;
    const name = `${candidateName(c, visible.indexOf(c))}${group?.title ? ` of ${group.title}` : ""}`;
    // On close the focus goes to the current card's picture (the button that opens the
    // compare): ← → inside it may have moved on, and live updates redraw the cards.
    const current = () => {
      const now = visible[state.cursor];
      return (now && tileOf.get(now.id)?.querySelector<HTMLElement>(".rv-thumb")) ?? null;
    };
    compare.open({ before: before ? thumbUrl(before, 1600) : thumbUrl(c.asset, 1600), after: thumbUrl(c.asset, 1600), title: before ? `${name} — before / after` : `${name} — no source image recorded, showing the result` }, current);
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

  const onTriageKey = (e: KeyboardEvent) => {
    const t = e.target as HTMLElement | null;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT") && !t.classList.contains("ab-compare-slider")) return;
    // Enter / Space on a focused button presses it (the picture's button opens the compare).
    if (t && (t.tagName === "BUTTON" || t.tagName === "A") && (e.key === "Enter" || e.key === " ")) return;
    if (press(e.key, { ctrl: e.ctrlKey, meta: e.metaKey, alt: e.altKey })) e.preventDefault();
  };
  window.addEventListener("keydown", onTriageKey);
  // The compare is a modal dialog, whose keys stop at it (ui/overlay.ts): the triage keys
  // (← → to the next candidate, decisions) are heard on it too.
  compare.element.addEventListener("keydown", (e) => {
    if (e.key !== "Escape" && e.key !== "Tab") onTriageKey(e);
  });
  /** A triage key, from the keyboard or a gesture; true when it did something. */
  function press(key: string, mods: { ctrl?: boolean; meta?: boolean; alt?: boolean } = {}): boolean {
    state = { ...state, comparing: compare.isOpen, help: !help.hidden, columns: columns(), ...layout() };
    const result = triageKey(state, key, mods);
    if (result.handled) run(result.command, result.state);
    return result.handled;
  }
  // A swipe on the compare's picture is ← / →: the previous or next candidate (phones, tablets).
  compare.onSwipe = (step) => press(step > 0 ? "ArrowRight" : "ArrowLeft");

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
      const [list, all] = await Promise.all([apiJson<ReviewList>("GET", `${api}/review${driftQuery(filter, sort)}`), apiJson<ReviewComment[]>("GET", `${api}/comments`)]);
      for (const c of all) comments.upsert(c);
      groups = list.groups;
      tierCounts = list.tiers;
      total = list.total ?? Object.values(list.tiers).reduce((a, b) => a + b, 0);
      render();
    } catch (e) {
      say(e instanceof ApiError ? e.message : String(e), "error");
    }
  }

  // The batch matrix: a second view of the same candidates, offered once the board has
  // batches (?batch=<id>, or ?view=matrix, opens it). Its thumbnails open the candidate view above.
  const params = new URLSearchParams(window.location.search);
  const matrix = new BatchMatrix({
    apiBase: boot.api_base,
    boardId: boot.board_id,
    canReview: boot.can_review,
    canEdit: Boolean(boot.can_edit),
    say,
    open: (id) => {
      const c = groups.flatMap((g) => g.candidates).find((x) => x.id === id);
      if (c) openCompare(c);
      else void load().then(() => {
        const found = groups.flatMap((g) => g.candidates).find((x) => x.id === id);
        if (found) openCompare(found);
      });
    },
  });
  matrix.element.hidden = true;
  const bar = h("div", { class: "rv-bar" }, filters, h("span", { class: "ab-spacer" }), percent, promoteBtn, promoteResult);
  const viewSelect = select("View", "review-view", [["grid", "by job"], ["matrix", "batch matrix"]], "grid", (v) => void showView(v === "matrix" ? "matrix" : "grid"));
  viewSelect.hidden = true;
  async function showView(view: "grid" | "matrix"): Promise<void> {
    const onMatrix = view === "matrix";
    for (const el of [grid, tiers, bar]) el.hidden = onMatrix;
    matrix.element.hidden = !onMatrix;
    (viewSelect.querySelector("select") as HTMLSelectElement).value = view;
    const url = new URL(window.location.href);
    if (onMatrix) {
      url.searchParams.set("view", "matrix");
      url.searchParams.set("batch", matrix.currentBatch);
      await matrix.load();
    } else {
      url.searchParams.delete("view");
      url.searchParams.delete("batch");
    }
    window.history.replaceState(null, "", url);
  }
  void matrix
    .loadBatches(params.get("batch") ?? "")
    .then((any) => {
      viewSelect.hidden = !any;
      // The board's batch dock and the batches page link "Review results" as ?batch=<id>.
      if (any && (params.get("view") === "matrix" || params.has("batch"))) void showView("matrix");
    })
    .catch((e) => say(e instanceof ApiError ? e.message : String(e), "error"));

  root.replaceChildren(
    h(
      "header",
      { class: "rv-head" },
      h("h1", {}, `Review · ${boot.board_name}`),
      h("a", { class: "ab-btn", href: `/boards/${boot.board_id}/` }, "Open the canvas"),
      live,
      h("span", { class: "ab-spacer" }),
      viewSelect,
      triageSetting,
      helpBtn,
    ),
    tiers,
    bar,
    status,
    triageOffer.element,
    grid,
    matrix.element,
    compare.element,
    help,
  );

  listenToBoard(
    boot.ws_url,
    (msg) => {
      if (msg.type === "batch_progress") {
        matrix.onProgress(msg.batch); // the matrix's cells, live while its batch runs
        return;
      }
      if (msg.type !== "comment") matrix.reloadSoon(); // its counts, marks and best order
      if (msg.type === "decision") {
        if (applyDecision(groups, msg.decision)) render();
        else reloadSoon(); // a candidate we have not seen yet
        say(`${whoName(msg.decision.decided_by)}: ${badgeText(msg.decision) || "verdict cleared"}`);
      } else if (msg.type === "comment") {
        comments.upsert(msg.comment);
        render();
        clipComments.render();
        say(`${msg.comment.author.name} commented: ${msg.comment.body.slice(0, 80)}`);
      } else if (msg.type === "iteration") {
        reloadSoon(); // a new or changed result, e.g. the upscale of a promoted candidate
      } else if (msg.type === "consistency") {
        if (applyConsistency(groups.flatMap((g) => g.candidates), msg.results)) render();
        else reloadSoon();
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
if (root) {
  installTooltips();
  mount(root, readBootstrap());
}
