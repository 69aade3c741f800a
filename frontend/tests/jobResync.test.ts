/**
 * The browser notices what the socket did not bring and re-reads it through the API
 * (jobs/model.ts gap detection, jobs/client.ts JobResync), without ever letting an older
 * read overwrite something newer.
 */
import { describe, expect, it } from "vitest";
import { type JobApi, JobResync, httpJobApi } from "../src/jobs/client";
import { type GapReason, type IterationPayload, type JobPayload, JobStore } from "../src/jobs/model";
import { REGION, iteration, job } from "./jobFixtures";

const result = (extra: Partial<IterationPayload> = {}) => iteration({ id: "r1", ...extra });

const jobMessage = (payload: JobPayload) => ({ type: "job", job: payload }) as never;
const resultMessage = (payload: IterationPayload) => ({ type: "iteration", iteration: payload }) as never;

function gapsOf(store: JobStore): Array<[string, GapReason]> {
  const gaps: Array<[string, GapReason]> = [];
  store.onGap((id, why) => gaps.push([id, why]));
  return gaps;
}

/** A server whose answers the test releases one at a time. */
class FakeApi implements JobApi {
  jobs = new Map<string, JobPayload>();
  results_ = new Map<string, IterationPayload[]>();
  calls: string[] = [];
  private waiting: Array<() => void> = [];

  private later<T>(value: () => T): Promise<T> {
    return new Promise((resolve) => this.waiting.push(() => resolve(value())));
  }

  job(id: string) {
    this.calls.push(`job ${id}`);
    return this.later(() => this.jobs.get(id) ?? null);
  }

  results(jobId: string) {
    this.calls.push(`results ${jobId}`);
    return this.later(() => this.results_.get(jobId) ?? []);
  }

  board() {
    this.calls.push("board");
    return this.later(() => ({ jobs: [...this.jobs.values()], iterations: [...this.results_.values()].flat() }));
  }

  /** Answer every request made so far, then let the awaiting code run. */
  async answer(): Promise<void> {
    const now = this.waiting.splice(0);
    for (const release of now) release();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }
}

describe("gap detection", () => {
  it("reports a job whose messages skip versions, not one whose messages come in order or late", () => {
    const store = new JobStore();
    const gaps = gapsOf(store);
    store.receive(jobMessage(job({ version: 1 })));
    store.receive(jobMessage(job({ version: 2, state: "running" })));
    store.receive(jobMessage(job({ version: 2, state: "running" }))); // the same again
    store.receive(jobMessage(job({ version: 1 }))); // late, dropped
    expect(gaps).toEqual([]);
    store.receive(jobMessage(job({ version: 5, state: "running", progress: 0.5 })));
    expect(gaps).toEqual([["j1", "versions"]]);
    expect(store.jobs.get("j1")?.version).toBe(5); // the newer state is shown meanwhile
  });

  it("does not report the first message of a job it never saw", () => {
    const store = new JobStore();
    const gaps = gapsOf(store);
    store.receive(jobMessage(job({ id: "new", version: 7, state: "running" })));
    expect(gaps).toEqual([]);
  });

  it("reports a job that succeeded with fewer results than it asked for, once", () => {
    const store = new JobStore();
    const gaps = gapsOf(store);
    store.receive(jobMessage(job({ version: 1, spec: { region: REGION, count: 2 } })));
    store.receive(resultMessage(result({ id: "r1", index: 0 })));
    store.receive(jobMessage(job({ version: 2, state: "succeeded", spec: { region: REGION, count: 2 } })));
    expect(gaps).toEqual([["j1", "results"]]);
    store.receive(jobMessage(job({ version: 2, state: "succeeded", spec: { region: REGION, count: 2 } })));
    expect(gaps).toHaveLength(1);
  });

  it("is quiet when every result arrived before the job succeeded", () => {
    const store = new JobStore();
    const gaps = gapsOf(store);
    store.receive(jobMessage(job({ version: 1 })));
    store.receive(resultMessage(result()));
    store.receive(jobMessage(job({ version: 2, state: "succeeded" })));
    expect(gaps).toEqual([]);
  });
});

describe("JobResync", () => {
  it("re-reads a job and its results when its messages skip versions", async () => {
    const store = new JobStore();
    const api = new FakeApi();
    new JobResync(store, api);
    store.receive(jobMessage(job({ version: 1 })));
    api.jobs.set("j1", job({ version: 4, state: "succeeded", progress: 1 }));
    api.results_.set("j1", [result()]);
    store.receive(jobMessage(job({ version: 3, state: "running" }))); // version 2 was lost
    expect(api.calls).toEqual(["job j1", "results j1"]);
    await api.answer();
    expect(store.jobs.get("j1")?.state).toBe("succeeded");
    expect(store.jobs.get("j1")?.version).toBe(4);
    expect(store.resultsOf("j1").map((r) => r.id)).toEqual(["r1"]);
  });

  it("re-reads the results of a job that succeeded without them", async () => {
    const store = new JobStore();
    const api = new FakeApi();
    new JobResync(store, api);
    store.receive(jobMessage(job({ version: 1 })));
    api.jobs.set("j1", job({ version: 2, state: "succeeded" }));
    api.results_.set("j1", [result()]);
    store.receive(jobMessage(job({ version: 2, state: "succeeded" }))); // the result was lost
    await api.answer();
    expect(store.resultsOf("j1").map((r) => r.id)).toEqual(["r1"]);
  });

  it("turns a burst of gaps into one read now and one after it, never dropping one", async () => {
    const store = new JobStore();
    const api = new FakeApi();
    new JobResync(store, api);
    store.receive(jobMessage(job({ version: 1 })));
    store.receive(jobMessage(job({ version: 3 })));
    store.receive(jobMessage(job({ version: 5 })));
    store.receive(jobMessage(job({ version: 7 })));
    expect(api.calls).toEqual(["job j1", "results j1"]); // one read in flight
    await api.answer();
    expect(api.calls).toEqual(["job j1", "results j1", "job j1", "results j1"]); // one more
    await api.answer();
    expect(api.calls).toHaveLength(4);
  });

  it("reloads the board on reconnect: newer jobs replace stale ones", async () => {
    const store = new JobStore();
    const api = new FakeApi();
    const resync = new JobResync(store, api);
    store.receive(jobMessage(job({ version: 2, state: "running" })));
    // While the socket was down the job finished and its result was stored.
    api.jobs.set("j1", job({ version: 6, state: "succeeded", progress: 1 }));
    api.results_.set("j1", [result()]);
    const done = resync.reload();
    await api.answer();
    await done;
    expect(store.jobs.get("j1")?.state).toBe("succeeded");
    expect(store.resultsOf("j1")).toHaveLength(1);
  });

  it("keeps what was broadcast while the read was on its way", async () => {
    const store = new JobStore();
    const api = new FakeApi();
    const resync = new JobResync(store, api);
    api.jobs.set("j1", job({ version: 3, state: "running" }));
    api.results_.set("j1", [result({ status: "staged" })]);
    const done = resync.reload();
    // The read is on its way; meanwhile the socket brings newer news.
    store.receive(jobMessage(job({ version: 4, state: "succeeded" })));
    store.receive(resultMessage(result({ status: "applied" })));
    await api.answer();
    await done;
    expect(store.jobs.get("j1")?.version).toBe(4);
    expect(store.iterations.get("r1")?.status).toBe("applied");
  });

  it("a reconnect during a reload reads once more afterwards", async () => {
    const store = new JobStore();
    const api = new FakeApi();
    const resync = new JobResync(store, api);
    void resync.reload();
    void resync.reload(); // the socket dropped and came back while the first read ran
    expect(api.calls).toEqual(["board"]);
    await api.answer();
    expect(api.calls).toEqual(["board", "board"]);
  });

  it("reports a failed board read and recovers on the next one", async () => {
    const store = new JobStore();
    const failures: string[] = [];
    const api: JobApi = {
      job: async () => null,
      results: async () => [],
      board: async () => {
        throw new Error("HTTP 502");
      },
    };
    await new JobResync(store, api, (what, err) => failures.push(`${what}: ${err.message}`)).reload();
    expect(failures).toEqual(["board: HTTP 502"]);
  });
});

describe("httpJobApi", () => {
  it("reads one job, a job's results and the board's pages through /api/v1", async () => {
    const asked: string[] = [];
    const pages: Record<string, unknown> = {
      "/api/v1/jobs/j1": job({ version: 9 }),
      "/api/v1/boards/b/iterations?job=j1&page_size=200": { items: [result()], next: null },
      "/api/v1/boards/b/jobs?page_size=200": { items: [job()], next: "/api/v1/boards/b/jobs?page=2" },
      "/api/v1/boards/b/jobs?page=2": { items: [job({ id: "j2" })], next: null },
      "/api/v1/boards/b/iterations?page_size=200": { items: [], next: null },
    };
    const fakeFetch = (async (url: string) => {
      asked.push(url);
      const body = pages[url];
      return new Response(body === undefined ? "{}" : JSON.stringify(body), { status: body === undefined ? 404 : 200 });
    }) as unknown as typeof fetch;
    const api = httpJobApi("/api/v1", "b", fakeFetch);
    expect((await api.job("j1"))?.version).toBe(9);
    expect(await api.job("gone")).toBeNull(); // deleted meanwhile: not an error
    expect((await api.results("j1")).map((r) => r.id)).toEqual(["r1"]);
    const board = await api.board();
    expect(board.jobs.map((j) => j.id)).toEqual(["j1", "j2"]);
    expect(asked).toContain("/api/v1/boards/b/jobs?page=2");
  });
});
