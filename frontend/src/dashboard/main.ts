/**
 * The dashboard page (templates/ops/dashboard.html, docs/dashboard.md "The page"): reads
 * `GET /api/v1/dashboard` for the scope the server put in #dashboard's data-query, writes the
 * tiles as text, draws the charts with uPlot (each with a data table and an aria-label that
 * says what it shows), lists the failure classes and every provider's breaker, and reads
 * again every 15 s while the tab is visible.
 *
 * It must not widen the scope: the query is the server's, and the API checks it again.
 */
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { apiJson } from "../review/api";
import { type Dashboard, type Figures, columns, costOf, count, currencies, duration, durationTick, failedOf, failureClasses, money, percent } from "./model";
import "./dashboard.css";

/** How often the numbers are read again while the page is visible. */
export const REFRESH_MS = 15_000;

const COLOURS: Record<"accent" | "p95" | "ok" | "danger" | "warn" | "muted" | "line", string> = { accent: "#7aa2ff", p95: "#b38bff", ok: "#5fc48b", danger: "#ef6b6b", warn: "#e5b85c", muted: "#9a9ea6", line: "#33363c" };

interface ChartSpec {
  series: { label: string; colour: string; pick: (row: Figures) => number | null; unit?: (v: number) => string }[];
  bars: boolean;
  stacked?: boolean;
  /** How the y axis writes a value (default: a count). */
  axis?: (v: number) => string;
  empty: 0 | null;
}

const CLASS_COLOURS = [COLOURS.danger, COLOURS.warn, COLOURS.p95, COLOURS.accent, COLOURS.muted];

type Pick = (row: Figures) => number | null;

/** A p50 / p95 pair over time (gaps where nothing was counted). */
function percentiles(p50: Pick, p95: Pick): ChartSpec {
  return {
    bars: false,
    empty: null,
    axis: durationTick,
    series: [
      { label: "p50", colour: COLOURS.accent, pick: p50, unit: duration },
      { label: "p95", colour: COLOURS.p95, pick: p95, unit: duration },
    ],
  };
}

function specs(data: Dashboard): Record<string, ChartSpec> {
  const money2 = (c: string) => (v: number) => `${v.toFixed(2)} ${c}`;
  const cur = currencies(data);
  const classes = failureClasses(data);
  return {
    throughput: { bars: true, empty: 0, series: [{ label: "Results", colour: COLOURS.accent, pick: (r) => r.results }] },
    delivery: percentiles((r) => r.delivery_p50_seconds, (r) => r.delivery_p95_seconds),
    outcomes: {
      bars: true,
      stacked: true,
      empty: 0,
      series: [
        { label: "Succeeded", colour: COLOURS.ok, pick: (r) => r.jobs_succeeded },
        { label: "Failed", colour: COLOURS.danger, pick: (r) => r.jobs_failed },
        { label: "Cancelled", colour: COLOURS.muted, pick: (r) => r.jobs_cancelled },
      ],
    },
    wait: percentiles((r) => r.queue_wait_p50_seconds, (r) => r.queue_wait_p95_seconds),
    failure_classes: {
      bars: true,
      stacked: true,
      empty: 0,
      series: classes.length
        ? classes.map((c, i) => ({ label: c, colour: CLASS_COLOURS[i % CLASS_COLOURS.length] ?? COLOURS.danger, pick: (r: Figures) => failedOf(r, c, classes) }))
        : [{ label: "Failed", colour: COLOURS.danger, pick: (r: Figures) => r.jobs_failed }],
    },
    cost: {
      bars: true,
      empty: 0,
      axis: (v) => v.toFixed(2),
      series: (cur.length ? cur : ["EUR"]).map((c, i) => ({
        label: c,
        colour: [COLOURS.warn, COLOURS.accent, COLOURS.ok][i % 3] ?? COLOURS.warn,
        pick: (r: Figures) => costOf(r, c),
        unit: money2(c),
      })),
    },
  };
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** An x-axis label in UTC, 24-hour: "14:00", the date at midnight ("6 Dec"), days as "6 Dec". */
function tickText(seconds: number, granularity: string): string {
  const d = new Date(seconds * 1000);
  const day = `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;
  if (granularity === "day" || (d.getUTCHours() === 0 && d.getUTCMinutes() === 0)) return day;
  return `${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")}`;
}

function bucketText(seconds: number, granularity: string): string {
  const iso = new Date(seconds * 1000).toISOString();
  return granularity === "hour" ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : iso.slice(0, 10);
}

/** The chart's data: x, then each series (cumulative when stacked, drawn top-down). */
function chartData(data: Dashboard, spec: ChartSpec): uPlot.AlignedData {
  const [xs, ...cols] = columns(data, spec.series.map((s) => s.pick), spec.empty);
  if (!spec.stacked) return [xs, ...cols] as uPlot.AlignedData;
  const sums = cols.map((_, i) => xs.map((__, j) => cols.slice(0, i + 1).reduce<number>((t, c) => t + (c[j] ?? 0), 0)));
  return [xs, ...sums.reverse()] as uPlot.AlignedData;
}

function options(spec: ChartSpec, width: number, granularity: string): uPlot.Options {
  const step = granularity === "hour" ? 3600 : 86400;
  const ordered = spec.stacked ? [...spec.series].reverse() : spec.series;
  const bars = uPlot.paths.bars ? uPlot.paths.bars({ size: [0.7, 40] }) : undefined;
  const axis = { stroke: COLOURS.muted, grid: { stroke: COLOURS.line, width: 1 }, ticks: { stroke: COLOURS.line, width: 1 } };
  return {
    width,
    height: width < 500 ? 180 : 220,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
    cursor: { drag: { x: false, y: false } },
    legend: { live: true },
    // Half a bucket of room at either end, so the first and last bars are whole.
    scales: { x: { time: true, range: (_u, min, max) => [min - step / 2, max + step / 2] }, y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] } },
    axes: [
      { ...axis, space: 56, values: (_u, ticks) => ticks.map((t) => tickText(t, granularity)) },
      {
        ...axis,
        // Wide enough for the longest label (uPlot would clip "2.5 min" at a fixed size).
        size: (_u, values) => 16 + 7 * Math.max(3, ...(values ?? []).map((v) => v.length)),
        values: (_u, ticks) => ticks.map((t) => (spec.axis ?? count)(t)),
      },
    ],
    series: [
      { label: granularity === "hour" ? "Hour (UTC)" : "Day (UTC)", value: (_u, v) => (v == null ? "—" : bucketText(v, granularity)) },
      ...ordered.map((s, i) => ({
        label: s.label,
        stroke: s.colour,
        fill: spec.bars ? `${s.colour}cc` : undefined,
        width: spec.bars ? 0 : 2,
        paths: spec.bars ? bars : undefined,
        points: { show: !spec.bars, size: 5 },
        spanGaps: false,
        // Stacked bars show the series' own value in the legend, not the running sum.
        value: (u: uPlot, v: number | null, _si: number, idx: number | null) => {
          if (v == null || idx == null) return "—";
          const own = spec.stacked ? v - ((u.data[i + 2] as (number | null)[] | undefined)?.[idx] ?? 0) : v;
          return s.unit ? s.unit(own) : count(own);
        },
      })),
    ],
  };
}

function summary(title: string, data: Dashboard, spec: ChartSpec, rangeLabel: string): string {
  const parts = spec.series.map((s) => {
    const values = data.series.map((r) => s.pick(r)).filter((v): v is number => v !== null);
    if (!values.length) return `${s.label}: no data`;
    const peak = Math.max(...values);
    const fmt = s.unit ?? count;
    const total = values.reduce((a, b) => a + b, 0);
    return spec.empty === 0 ? `${s.label}: ${fmt(total)} in total, at most ${fmt(peak)} per ${data.scope.granularity}` : `${s.label}: at most ${fmt(peak)}`;
  });
  return `${title}, ${rangeLabel}, by ${data.scope.granularity} (UTC). ${parts.join("; ")}. The data table below lists every ${data.scope.granularity}.`;
}

function table(data: Dashboard, spec: ChartSpec): HTMLTableElement {
  const t = document.createElement("table");
  const head = t.createTHead().insertRow();
  for (const text of [data.scope.granularity === "hour" ? "Hour (UTC)" : "Day (UTC)", ...spec.series.map((s) => s.label)]) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = text;
    head.append(th);
  }
  const body = t.createTBody();
  for (const row of data.series) {
    const tr = body.insertRow();
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = bucketText(Date.parse(row.bucket) / 1000, data.scope.granularity);
    tr.append(th);
    for (const s of spec.series) {
      const v = s.pick(row);
      tr.insertCell().textContent = v === null ? "—" : s.unit ? s.unit(v) : count(v);
    }
  }
  if (!data.series.length) body.insertRow().insertCell().textContent = "Nothing counted in this range.";
  return t;
}

class Chart {
  plot: uPlot | null = null;
  shape = "";
  constructor(readonly figure: HTMLElement) {}

  draw(data: Dashboard, spec: ChartSpec, rangeLabel: string): void {
    const box = this.figure.querySelector<HTMLElement>(".dash-plot");
    if (!box) return;
    const values = chartData(data, spec);
    const shape = `${data.scope.granularity}|${spec.series.map((s) => s.label).join(",")}`;
    if (this.plot && shape === this.shape) this.plot.setData(values);
    else {
      this.plot?.destroy();
      this.plot = new uPlot(options(spec, box.clientWidth || 300, data.scope.granularity), values, box);
      this.shape = shape;
    }
    this.figure.dataset.seriesCount = String(this.plot.series.length - 1);
    const title = this.figure.querySelector("h2")?.textContent ?? "";
    box.setAttribute("aria-label", summary(title, data, spec, rangeLabel));
    this.figure.querySelector(".dash-table-body")?.replaceChildren(table(data, spec));
  }

  resize(): void {
    const box = this.figure.querySelector<HTMLElement>(".dash-plot");
    if (this.plot && box && box.clientWidth && Math.abs(box.clientWidth - this.plot.width) > 1) {
      this.plot.setSize({ width: box.clientWidth, height: box.clientWidth < 500 ? 180 : 220 });
    }
  }
}

function setTile(root: HTMLElement, key: string, value: string, sub: string): void {
  const tile = root.querySelector<HTMLElement>(`[data-tile=${key}]`);
  if (!tile) return;
  tile.querySelector("[data-field=value]")!.textContent = value;
  tile.querySelector("[data-field=sub]")!.textContent = sub;
}

function tiles(root: HTMLElement, data: Dashboard, rangeLabel: string): void {
  const t = data.totals;
  const hourly = data.scope.granularity === "hour";
  const pace = hourly ? t.results_per_hour : t.results_per_day;
  setTile(root, "results", count(t.results), `${rangeLabel} · ${pace === null ? "—" : pace.toFixed(1)} per ${hourly ? "hour" : "day"}`);
  setTile(root, "delivery", `${duration(t.delivery_p50_seconds)} / ${duration(t.delivery_p95_seconds)}`, "submit → result on the board");
  setTile(root, "wait", `${duration(t.queue_wait_p50_seconds)} / ${duration(t.queue_wait_p95_seconds)}`, `submit → first claim · ${count(t.claimed_jobs)} jobs`);
  setTile(root, "failure", percent(t.failure_rate), `${count(t.jobs_failed)} failed of ${count(t.jobs_succeeded + t.jobs_failed)} ended`);
  setTile(root, "cost", money(t.cost), `${money(t.cost_per_approved, 3)} per approved asset`);
  const q = data.queue;
  setTile(root, "queue", `${count(q.depth)} waiting`, q.depth ? `oldest for ${duration(q.oldest_wait_seconds)}` : "nothing waiting");
  setTile(root, "approval", percent(t.approval_rate), `${count(t.approvals)} approved of ${count(t.decisions)} decisions`);
  setTile(root, "drift", percent(t.drift_rate), `${count(t.drifted)} flagged of ${count(t.scored)} scored`);
  setTile(root, "retries", `${count(t.retried_jobs)} / ${count(t.fallbacks)}`, "jobs retried / calls on a fallback");
}

// Short words in the pill (it must fit a phone's row); the note under the table says what they mean.
const STATE_WORDS: Record<string, string> = { closed: "Closed", open: "Open", half_open: "Half-open" };

function breakers(root: HTMLElement, data: Dashboard): void {
  const body = root.querySelector<HTMLTableSectionElement>("[data-testid=breakers] tbody");
  if (!body) return;
  body.replaceChildren();
  for (const b of data.breakers) {
    const tr = body.insertRow();
    tr.dataset.provider = b.provider;
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = b.provider;
    tr.append(th);
    const state = document.createElement("span");
    state.className = `dash-breaker ${b.state}`;
    state.textContent = STATE_WORDS[b.state] ?? b.state;
    tr.insertCell().append(state);
    tr.insertCell().textContent = count(b.consecutive_failures);
    tr.insertCell().textContent = b.next_probe_at ? `${b.next_probe_at.slice(11, 19)} UTC` : "—";
  }
  root.querySelector<HTMLElement>("[data-field=breakers-empty]")!.hidden = data.breakers.length > 0;
}

function failureTotals(root: HTMLElement, data: Dashboard): void {
  const box = root.querySelector<HTMLElement>("[data-testid=failure-stack]");
  if (!box) return;
  const total = data.failures.reduce((t, f) => t + f.jobs, 0);
  const bar = document.createElement("div");
  bar.className = "dash-stack-bar";
  bar.setAttribute("aria-hidden", "true");
  const list = document.createElement("ul");
  list.className = "dash-stack-legend";
  data.failures.forEach((f, i) => {
    const seg = document.createElement("span");
    seg.style.width = `${(f.jobs / total) * 100}%`;
    seg.style.background = CLASS_COLOURS[i % CLASS_COLOURS.length] ?? COLOURS.danger;
    bar.append(seg);
    const li = document.createElement("li");
    li.dataset.errorClass = f.error_class;
    const swatch = document.createElement("span");
    swatch.className = "dash-swatch";
    swatch.style.background = seg.style.background;
    li.append(swatch, `${f.error_class}: ${count(f.jobs)} (${percent(f.rate)} of ended jobs)`);
    list.append(li);
  });
  box.replaceChildren(...(total ? [bar, list] : []));
  root.querySelector<HTMLElement>("[data-field=failures-empty]")!.hidden = total > 0;
}

export function mountDashboard(root: HTMLElement): void {
  const url = `/api/v1/dashboard?${root.dataset.query ?? ""}`;
  const rangeLabel = root.dataset.rangeLabel ?? "";
  const live = document.querySelector<HTMLElement>("[data-testid=dash-live]");
  const charts = new Map<string, Chart>();
  for (const figure of root.querySelectorAll<HTMLElement>("[data-chart]")) charts.set(figure.dataset.chart ?? "", new Chart(figure));
  let timer = 0;

  const refresh = async (): Promise<void> => {
    window.clearTimeout(timer);
    try {
      const data = await apiJson<Dashboard>("GET", url);
      tiles(root, data, rangeLabel);
      const all = specs(data);
      for (const [key, chart] of charts) if (all[key]) chart.draw(data, all[key], rangeLabel);
      failureTotals(root, data);
      breakers(root, data);
      root.dataset.loaded = String(Number(root.dataset.loaded ?? "0") + 1);
      if (live) live.textContent = `Updated ${new Date().toISOString().slice(11, 19)} UTC · every ${REFRESH_MS / 1000} s`;
    } catch (err) {
      if (live) live.textContent = `Could not update: ${(err as Error).message}`;
    }
    if (!document.hidden) timer = window.setTimeout(refresh, REFRESH_MS);
  };
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) {
      window.clearTimeout(timer);
      if (live) live.textContent = "Paused while the tab is hidden";
    } else void refresh();
  });
  new ResizeObserver(() => charts.forEach((c) => c.resize())).observe(root);
  void refresh();
}

function mountFilters(): void {
  const range = document.querySelector<HTMLSelectElement>("#dash-range");
  range?.addEventListener("change", () => {
    for (const field of document.querySelectorAll<HTMLElement>(".dash-custom")) field.hidden = range.value !== "custom";
  });
}

mountFilters();
const root = document.getElementById("dashboard");
if (root) mountDashboard(root);
