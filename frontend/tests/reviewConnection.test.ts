import { describe, expect, it } from "vitest";
import type { ReviewMessage } from "../src/protocol";
import { BoardConnection, type SocketLike } from "../src/realtime/connection";
import { SyncState } from "../src/realtime/sync";

class FakeSocket implements SocketLike {
  readyState = 0;
  onopen: SocketLike["onopen"] = null;
  onclose: SocketLike["onclose"] = null;
  onmessage: SocketLike["onmessage"] = null;
  onerror: SocketLike["onerror"] = null;
  send() {}
  close() {
    this.readyState = 3;
  }
  receive(msg: object) {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
}

function connect() {
  const sockets: FakeSocket[] = [];
  const review: ReviewMessage[] = [];
  const statuses: [string, string][] = [];
  const timers: unknown[] = [];
  const conn = new BoardConnection(
    "ws://x/ws/share/t/",
    new SyncState(),
    { onReviewMessage: (m) => review.push(m), onStatus: (s, d) => statuses.push([s, d]) },
    {
      createSocket: () => {
        const s = new FakeSocket();
        sockets.push(s);
        return s;
      },
      setTimer: (fn) => {
        timers.push(fn);
        return fn;
      },
      clearTimer: () => {},
      random: () => 0.5,
    },
  );
  conn.start();
  const socket = sockets[0]!;
  socket.readyState = 1;
  socket.onopen?.({});
  return { conn, socket, sockets, review, statuses, timers };
}

describe("review messages on the board socket", () => {
  it("hands decisions and comments to the review UI", () => {
    const { socket, review } = connect();
    const decision = { type: "decision", decision: { iteration: "i", status: "approved", decided_by: { name: "Casey", guest: true }, decided_at: "2026-01-01T00:00:00Z" } };
    const comment = { type: "comment", comment: { id: "c", board: "b", parent: null, target: "point", anchor: { x: 1, y: 2 }, body: "hi", author: { name: "Casey", guest: true }, resolved: false, resolved_at: null, created_at: "2026-01-01T00:00:00Z" } };
    socket.receive(decision);
    socket.receive(comment);
    expect(review).toEqual([decision, comment]);
  });

  it("treats a share link's close (4410, revoked or expired) as final: no reconnect", () => {
    const { socket, sockets, statuses, timers } = connect();
    socket.readyState = 3;
    socket.onclose?.({ code: 4410 });
    expect(statuses.at(-1)).toEqual(["denied", "This shared link no longer works."]);
    expect(timers).toHaveLength(0);
    expect(sockets).toHaveLength(1);
  });
});
