import { describe, expect, it } from "vitest";
import { type Dashboard, OTHER_CLASS, columns, duration, durationTick, failedOf, failureClasses, money, percent } from "../src/dashboard/model";

const row = (bucket: string, results: number, p50: number | null) =>
  ({ bucket, results, delivery_p50_seconds: p50, cost: [] }) as unknown as Dashboard["series"][number];

describe("dashboard wording", () => {
  it("writes a duration axis's ticks without repeating a value", () => {
    expect([0, 0.2, 0.4, 0.6, 0.8, 1].map(durationTick)).toEqual(["0 s", "0.2 s", "0.4 s", "0.6 s", "0.8 s", "1 s"]);
    expect([0.25, 12, 150].map(durationTick)).toEqual(["0.25 s", "12 s", "2.5 min"]);
  });

  it("writes durations, rates and money as the page says them", () => {
    expect([duration(null), duration(20.4), duration(150), duration(5400)]).toEqual(["—", "20 s", "2.5 min", "1.5 h"]);
    expect([percent(null), percent(0.125), percent(0)]).toEqual(["—", "12.5 %", "0.0 %"]);
    expect(money([{ currency: "EUR", amount: 0.39 }, { currency: "USD", amount: null }])).toBe("0.39 EUR");
    expect(money([])).toBe("—");
  });

  it("fills every bucket of the range: 0 for counts, a gap for percentiles", () => {
    const data = {
      scope: { from: "2026-12-06T10:00:00+00:00", to: "2026-12-06T13:00:00+00:00", granularity: "hour" },
      series: [row("2026-12-06T11:00:00+00:00", 4, 20)],
    } as unknown as Dashboard;
    const start = Date.parse("2026-12-06T10:00:00Z") / 1000;
    expect(columns(data, [(r) => r.results], 0)).toEqual([[start, start + 3600, start + 7200], [0, 4, 0]]);
    expect(columns(data, [(r) => r.delivery_p50_seconds], null)[1]).toEqual([null, 20, null]);
  });

  it("draws the five most failed error classes over time, the rest as Other", () => {
    const names = ["provider_blocked", "provider_timeout", "invalid_input", "provider_auth", "http_500", "rare"];
    const data = { failures: names.map((error_class, i) => ({ error_class, jobs: 10 - i, rate: null })) } as unknown as Dashboard;
    const shown = failureClasses(data);
    expect(shown).toEqual([...names.slice(0, 4), OTHER_CLASS]);
    const bucket = {
      failed_by_class: [
        { error_class: "provider_blocked", jobs: 3, rate: 0.3 },
        { error_class: "http_500", jobs: 2, rate: 0.2 },
        { error_class: "rare", jobs: 1, rate: 0.1 },
      ],
    } as unknown as Dashboard["series"][number];
    expect(shown.map((c) => failedOf(bucket, c, shown))).toEqual([3, 0, 0, 0, 3]);
    expect(failureClasses({ failures: [] } as unknown as Dashboard)).toEqual([]);
  });
});
