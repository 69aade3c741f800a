import { describe, expect, it } from "vitest";
import { BoardConnection, type SocketLike, absoluteWsUrl, backoffDelay } from "../src/realtime/connection";
import { SyncState } from "../src/realtime/sync";
import { item } from "./helpers";

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  onopen: SocketLike["onopen"] = null;
  onclose: SocketLike["onclose"] = null;
  onmessage: SocketLike["onmessage"] = null;
  onerror: SocketLike["onerror"] = null;
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(msg: object) {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

const welcome = { type: "welcome", board: { id: "b", name: "B" }, user: { id: 1, name: "Me" }, role: "editor", can_edit: true, revision: 3 };

function harness() {
  const sockets: FakeSocket[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const statuses: string[] = [];
  const sync = new SyncState();
  const clock = { now: 0 };
  const conn = new BoardConnection("ws://x/ws/boards/b/", sync, { onStatus: (s) => statuses.push(s) }, {
    now: () => clock.now,
    createSocket: () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s;
    },
    setTimer: (fn, ms) => {
      const t = { fn, ms };
      timers.push(t);
      return t;
    },
    clearTimer: (h) => {
      const i = timers.indexOf(h as { fn: () => void; ms: number });
      if (i >= 0) timers.splice(i, 1);
    },
    random: () => 0.5,
  });
  /** Let `ms` pass, consulting the convergence rules every 250 ms as the page does. */
  const advance = (ms: number) => {
    for (const end = clock.now + ms; clock.now < end; ) {
      clock.now += 250;
      const tick = timers.find((t) => t.ms === 250);
      if (tick) {
        timers.splice(timers.indexOf(tick), 1);
        tick.fn();
      }
    }
  };
  return { sockets, timers, statuses, sync, conn, clock, advance };
}

describe("BoardConnection", () => {
  it("applies a snapshot sent in parts only when the final part arrives", () => {
    const { sockets, statuses, sync, conn } = harness();
    conn.start();
    const socket = sockets[0]!;
    socket.open();
    socket.receive(welcome);
    socket.receive({ type: "snapshot", revision: 7, items: [item({ id: "a" })], part: 0, final: false });
    expect(sync.isLoaded).toBe(false);
    expect(statuses.at(-1)).not.toBe("online");
    socket.receive({ type: "snapshot", revision: 7, items: [item({ id: "b" }), item({ id: "c" })], part: 1, final: true });
    expect(sync.isLoaded).toBe(true);
    expect(sync.revision).toBe(7);
    expect(sync.visible.ordered().map((i) => i.id).sort()).toEqual(["a", "b", "c"]);
    expect(statuses.at(-1)).toBe("online");
  });

  it("drops the parts of a snapshot cut off by a disconnect", () => {
    const { sockets, timers, sync, conn } = harness();
    conn.start();
    sockets[0]!.open();
    sockets[0]!.receive(welcome);
    sockets[0]!.receive({ type: "snapshot", revision: 7, items: [item({ id: "stale" })], part: 0, final: false });
    sockets[0]!.drop();
    timers.find((t) => t.ms === 500)!.fn();
    sockets[1]!.open();
    sockets[1]!.receive(welcome);
    sockets[1]!.receive({ type: "snapshot", revision: 8, items: [item({ id: "fresh" })] });
    expect(sync.visible.ordered().map((i) => i.id)).toEqual(["fresh"]);
  });

  it("syncs from scratch, then catches up from its revision after a drop, resending unacked edits", () => {
    const { sockets, timers, statuses, sync, conn } = harness();
    conn.start();
    const first = sockets[0]!;
    first.open();
    first.receive(welcome);
    expect(first.sent).toEqual([{ type: "sync", since: null }]);
    first.receive({ type: "snapshot", revision: 3, items: [item({ id: "a" })] });
    expect(statuses.at(-1)).toBe("online");

    sync.local([{ op: "update", id: "a", set: { x: 5 } }], "b1");
    conn.flush();
    expect(first.sent.at(-1)).toMatchObject({ type: "ops", batch_id: "b1" });

    first.drop();
    expect(statuses.at(-1)).toBe("offline");
    const reconnect = timers.find((t) => t.ms === 500);
    expect(reconnect).toBeDefined();
    reconnect!.fn();
    const second = sockets[1]!;
    second.open();
    second.receive(welcome);
    expect(second.sent).toEqual([{ type: "sync", since: 3 }]);
    second.receive({ type: "catchup", from_revision: 3, revision: 4, batches: [{ revision: 4, actor: { id: 2, name: "A" }, ops: [{ op: "update", id: "a", set: { y: 9 } }] }] });
    expect(second.sent.at(-1)).toMatchObject({ type: "ops", batch_id: "b1" });
    expect(sync.visible.get("a")).toMatchObject({ x: 5, y: 9 });
    second.receive({ type: "ack", batch_id: "b1", revision: 5 });
    expect(sync.revision).toBe(5);
  });

  it("re-syncs and is online again after a second welcome on the same socket (its role changed)", () => {
    const { sockets, statuses, conn } = harness();
    conn.start();
    const socket = sockets[0]!;
    socket.open();
    socket.receive(welcome);
    socket.receive({ type: "snapshot", revision: 3, items: [item({ id: "a" })] });
    expect(statuses.at(-1)).toBe("online");
    socket.receive({ ...welcome, role: "viewer", can_edit: false });
    expect(socket.sent.at(-1)).toEqual({ type: "sync", since: 3 });
    expect(statuses.at(-1)).toBe("syncing");
    socket.receive({ type: "catchup", from_revision: 3, revision: 3, batches: [] });
    expect(statuses.at(-1)).toBe("online");
  });

  it("backs off exponentially and stops retrying when access is refused", () => {
    expect([0, 1, 2, 3, 10].map((a) => backoffDelay(a, () => 0.5))).toEqual([500, 1000, 2000, 4000, 30000]);
    const { sockets, timers, statuses, conn } = harness();
    conn.start();
    sockets[0]!.drop();
    timers.pop()!.fn();
    sockets[1]!.drop();
    expect(timers.at(-1)!.ms).toBe(1000);
    timers.pop()!.fn();
    sockets[2]!.drop(4403);
    expect(statuses.at(-1)).toBe("denied");
    expect(timers).toHaveLength(0);
  });

  it("rolls back a refused batch and reports other errors", () => {
    const errors: string[] = [];
    const sync = new SyncState();
    const sockets: FakeSocket[] = [];
    const conn = new BoardConnection("ws://x", sync, { onError: (c) => errors.push(c) }, {
      createSocket: () => {
        const s = new FakeSocket();
        sockets.push(s);
        return s;
      },
      setTimer: () => 0,
      clearTimer: () => {},
    });
    conn.start();
    sockets[0]!.open();
    sockets[0]!.receive(welcome);
    sockets[0]!.receive({ type: "snapshot", revision: 1, items: [item({ id: "a", name: "orig" })] });
    sync.local([{ op: "update", id: "a", set: { name: "new" } }], "b9");
    conn.flush();
    sockets[0]!.receive({ type: "error", code: "forbidden", message: "viewers cannot edit", batch_id: "b9" });
    expect(sync.visible.get("a")?.name).toBe("orig");
    sockets[0]!.receive({ type: "error", code: "bad_message", message: "?" });
    expect(errors).toEqual(["bad_message"]);
  });

  it("retries a rate-limited batch after a moment instead of rolling it back", () => {
    const { sockets, timers, sync, conn } = harness();
    conn.start();
    sockets[0]!.open();
    sockets[0]!.receive(welcome);
    sockets[0]!.receive({ type: "snapshot", revision: 3, items: [item({ id: "a" })] });
    sync.local([{ op: "update", id: "a", set: { x: 5 } }], "b1");
    conn.flush();
    sockets[0]!.receive({ type: "error", code: "rate_limited", message: "slow down", batch_id: "b1" });
    expect(sync.visible.get("a")?.x).toBe(5);
    const retry = timers.find((t) => t.ms === 1000);
    expect(retry).toBeDefined();
    retry!.fn();
    expect(sockets[0]!.sent.filter((m) => m.type === "ops").map((m) => m.batch_id)).toEqual(["b1", "b1"]);
  });

  it("forwards job messages relayed on the board socket", () => {
    const jobs: string[] = [];
    const sync = new SyncState();
    const sockets: FakeSocket[] = [];
    const conn = new BoardConnection("ws://x", sync, { onJobMessage: (m) => jobs.push(m.type) }, {
      createSocket: () => {
        const s = new FakeSocket();
        sockets.push(s);
        return s;
      },
      setTimer: () => 0,
      clearTimer: () => {},
    });
    conn.start();
    sockets[0]!.open();
    sockets[0]!.receive({ type: "job_queue", board: "b", paused: true });
    sockets[0]!.receive({ type: "job", job: { id: "j1", status: "running" } });
    sockets[0]!.receive({ type: "mystery" });
    expect(jobs).toEqual(["job_queue", "job"]);
  });

  it("builds ws URLs from the page scheme", () => {
    expect(absoluteWsUrl("/ws/boards/1/", { protocol: "https:", host: "h:8000" })).toBe("wss://h:8000/ws/boards/1/");
    expect(absoluteWsUrl("/ws/boards/1/", { protocol: "http:", host: "h" })).toBe("ws://h/ws/boards/1/");
  });
});

describe("staying in step (docs/protocol.md): the client asks for what it missed by itself", () => {
  const actor = { id: 2, name: "A" };
  const applied = (revision: number) => ({ type: "applied", revision, actor, ops: [{ op: "update", id: "a", set: { x: revision } }] });

  function online(revision = 3) {
    const h = harness();
    h.conn.start();
    const socket = h.sockets[0]!;
    socket.open();
    socket.receive(welcome);
    socket.receive({ type: "snapshot", revision, items: [item({ id: "a" })] });
    socket.sent.length = 0;
    return { ...h, socket };
  }
  const syncs = (socket: FakeSocket) => socket.sent.filter((m) => m.type === "sync");
  const pings = (socket: FakeSocket) => socket.sent.filter((m) => m.type === "ping");

  it("sees a revision gap and asks for catch-up once, whatever arrives before the answer", () => {
    const { socket, sync, conn } = online(3);
    socket.receive(applied(5)); // 4 was lost
    expect(socket.sent).toEqual([{ type: "sync", since: 3 }]);
    socket.receive(applied(6));
    socket.receive({ type: "pong", revision: 6 });
    expect(syncs(socket)).toHaveLength(1); // one catch-up in flight, not three
    socket.receive({ type: "catchup", from_revision: 3, revision: 6, batches: [4, 5, 6].map((r) => ({ revision: r, actor, ops: applied(r).ops })) });
    expect(sync.revision).toBe(6);
    expect(sync.visible.get("a")?.x).toBe(6);
    expect(syncs(socket)).toHaveLength(1);
    expect(conn.rules.counts).toEqual({ gap: 1 });
  });

  it("asks once more when the answer stops short of a revision it learned of meanwhile", () => {
    const { socket, sync } = online(3);
    socket.receive(applied(5));
    socket.receive({ type: "pong", revision: 9 });
    expect(syncs(socket)).toHaveLength(1);
    socket.receive({ type: "catchup", from_revision: 3, revision: 5, batches: [4, 5].map((r) => ({ revision: r, actor, ops: applied(r).ops })) });
    expect(sync.revision).toBe(5);
    expect(syncs(socket)).toEqual([{ type: "sync", since: 3 }, { type: "sync", since: 5 }]);
  });

  it("pings after a second of silence, backs off while the board stays quiet, and catches up when the pong names a newer revision", () => {
    const { socket, advance, sync } = online(3);
    advance(750);
    expect(pings(socket)).toHaveLength(0);
    advance(250);
    expect(pings(socket)).toHaveLength(1);
    socket.receive({ type: "pong", revision: 3 }); // in step: nothing to ask
    expect(syncs(socket)).toHaveLength(0);
    advance(1750);
    expect(pings(socket)).toHaveLength(1); // the next one waits 2 s, then 4 s …
    advance(250);
    expect(pings(socket)).toHaveLength(2);
    socket.receive({ type: "pong", revision: 5 }); // broadcasts 4 and 5 never arrived
    expect(socket.sent.at(-1)).toEqual({ type: "sync", since: 3 });
    socket.receive({ type: "catchup", from_revision: 3, revision: 5, batches: [4, 5].map((r) => ({ revision: r, actor, ops: applied(r).ops })) });
    expect(sync.revision).toBe(5);
    advance(4000);
    expect(pings(socket)).toHaveLength(3); // the catch-up was news: 1 s of silence, one ping (unanswered here)
  });

  it("a viewer of a steady one-batch-a-second stream does not ping after every batch", () => {
    const { socket, advance } = online(3);
    for (let revision = 4; revision < 4 + 20; revision++) {
      advance(1000);
      socket.receive(applied(revision));
    }
    expect(pings(socket)).toHaveLength(1); // the first pause, before the cadence was known
    socket.receive({ type: "pong", revision: 23 });
    advance(1750);
    expect(pings(socket)).toHaveLength(1);
    advance(500); // twice the usual gap: something is late
    expect(pings(socket)).toHaveLength(2);
  });

  it("asks nothing while messages keep arriving, except the keep-alive ping", () => {
    const { socket, advance } = online(3);
    for (let revision = 4; revision < 4 + 60; revision++) {
      advance(500);
      socket.receive(applied(revision));
    }
    expect(syncs(socket)).toHaveLength(0);
    expect(pings(socket)).toHaveLength(1); // at 25 s, busy or not
  });

  it("asks for catch-up when its own batch waits for an ack in silence, once per period", () => {
    const { socket, sync, conn, advance } = online(3);
    sync.local([{ op: "update", id: "a", set: { x: 1 } }], "b1");
    conn.flush();
    advance(1000);
    expect(pings(socket)).toHaveLength(1); // silence first; no pong comes either
    advance(1000);
    expect(socket.sent.at(-1)).toEqual({ type: "sync", since: 3 });
    expect(conn.rules.counts.unacked).toBe(1);
    socket.receive({ type: "catchup", from_revision: 3, revision: 3, batches: [] });
    advance(1750);
    expect(conn.rules.counts.unacked).toBe(1);
    advance(250);
    expect(conn.rules.counts.unacked).toBe(2);
    socket.receive({ type: "ack", batch_id: "b1", revision: 4 });
    expect(sync.revision).toBe(4);
    advance(10_000);
    expect(conn.rules.counts.unacked).toBe(2); // nothing waits any more
  });

  it("sends an unanswered sync again only after a long silence", () => {
    const { socket, advance } = online(3);
    socket.receive(applied(5));
    expect(syncs(socket)).toHaveLength(1);
    advance(29_750);
    expect(syncs(socket)).toHaveLength(1);
    advance(250);
    expect(syncs(socket)).toHaveLength(2);
  });

  it("never pings again while a ping is unanswered, except the keep-alive", () => {
    const { socket, advance } = online(3);
    advance(1000);
    expect(pings(socket)).toHaveLength(1);
    advance(20_000); // a busy server answers late: more pings would only queue behind
    expect(pings(socket)).toHaveLength(1);
    advance(5000);
    expect(pings(socket)).toHaveLength(2); // 25 s after the last one
    socket.receive({ type: "pong", revision: 3 });
    advance(1750);
    expect(pings(socket)).toHaveLength(2); // answered: the silence backoff goes on (2 s)
    advance(250);
    expect(pings(socket)).toHaveLength(3);
  });

  it("ignores a guest socket's pong, which names no revision", () => {
    const { socket } = online(3);
    socket.receive({ type: "pong" });
    expect(socket.sent).toEqual([]);
  });

  it("starts afresh on a new socket: the handshake's sync is the only one", () => {
    const { socket, sockets, timers, advance } = online(3);
    socket.receive(applied(5));
    socket.drop();
    timers.find((t) => t.ms === 500)!.fn();
    const second = sockets[1]!;
    second.open();
    second.receive(welcome);
    expect(second.sent).toEqual([{ type: "sync", since: 3 }]);
    second.receive({ type: "catchup", from_revision: 3, revision: 5, batches: [4, 5].map((r) => ({ revision: r, actor, ops: applied(r).ops })) });
    advance(500);
    expect(syncs(second)).toHaveLength(1);
  });
});
