import { describe, expect, it } from "vitest";
import { completeMention, mentionAt, parseMentions, suggestMembers, unknownMentions } from "../src/review/mentions";
import { areaOnScreen, hitPin, pinBoardPoint, pinFromGesture } from "../src/review/pins";
import { candidateThreads, momentComment } from "../src/review/clipComments";
import { CommentStore } from "../src/review/threads";
import type { ReviewComment } from "../src/review/types";

const members = [
  { username: "rita", name: "Rita Reviewer" },
  { username: "olive", name: "Olive Owner" },
  { username: "eddie", name: "Eddie Editor" },
];

describe("mentions", () => {
  it("parse like the server: not inside e-mail addresses, trailing dots dropped, once each", () => {
    expect(parseMentions("@Rita and @olive. see mail@example.com, @rita again")).toEqual(["olive", "rita"]);
    expect(parseMentions("no mentions here")).toEqual([]);
    expect(unknownMentions("@rita @bob", members)).toEqual(["bob"]);
  });

  it("find the name being typed at the caret and complete it", () => {
    const text = "thanks @ri";
    expect(mentionAt(text, text.length)).toEqual({ start: 7, query: "ri" });
    expect(mentionAt("mail@ri", 7)).toBeNull();
    expect(mentionAt("plain", 5)).toBeNull();
    const done = completeMention("thanks @ri for this", 10, "rita");
    expect(done.text).toBe("thanks @rita for this");
    expect(done.caret).toBe(13);
  });

  it("suggest members by username prefix first, then by name", () => {
    expect(suggestMembers(members, "e").map((m) => m.username)).toEqual(["eddie", "olive", "rita"]);
    expect(suggestMembers(members, "ed")[0]?.username).toBe("eddie");
    expect(suggestMembers(members, "owner").map((m) => m.username)).toEqual(["olive"]);
    expect(suggestMembers(members, "zz")).toEqual([]);
  });
});

describe("comment pins", () => {
  it("a short gesture is a point, a drag is a normalised area (any direction)", () => {
    expect(pinFromGesture({ x: 10, y: 20 }, { x: 11, y: 21 }, 2)).toEqual({ target: "point", x: 10, y: 20 });
    expect(pinFromGesture({ x: 100, y: 80 }, { x: 40, y: 20 }, 1)).toEqual({ target: "area", x: 40, y: 20, width: 60, height: 60 });
    // At 10 % zoom the same 2 board units are well under the threshold.
    expect(pinFromGesture({ x: 0, y: 0 }, { x: 20, y: 0 }, 0.1).target).toBe("point");
    const flat = pinFromGesture({ x: 0, y: 0 }, { x: 50, y: 0 }, 1);
    expect(flat.target).toBe("area");
    if (flat.target === "area") expect(flat.height).toBeGreaterThan(0);
  });

  it("place pins with the camera and hit the topmost one", () => {
    const cam = { panX: 100, panY: 50, zoom: 2 };
    expect(pinBoardPoint({ x: 5, y: 6 })).toEqual({ x: 5, y: 6 });
    expect(pinBoardPoint({ iteration: "i" })).toBeNull();
    expect(areaOnScreen({ x: 10, y: 10, width: 20, height: 5 }, cam)).toEqual({ x: 120, y: 70, width: 40, height: 10 });
    expect(areaOnScreen({ x: 1, y: 1 }, cam)).toBeNull();
    const pins = [{ x: 0, y: 0 }, { x: 5, y: 5 }, { x: 100, y: 100 }];
    expect(hitPin(pins, { x: 3, y: 3 })).toBe(1);
    expect(hitPin(pins, { x: 50, y: 50 })).toBe(-1);
  });
});

describe("comment threads", () => {
  const c = (id: string, at: string, extra: Partial<ReviewComment> = {}): ReviewComment => ({
    id,
    board: "b",
    parent: null,
    target: "point",
    anchor: { x: 0, y: 0 },
    body: id,
    author: { id: 1, name: "Olive", guest: false },
    resolved: false,
    resolved_at: null,
    created_at: at,
    ...extra,
  });

  it("group replies under roots, newest activity first, and upsert by id", () => {
    const store = new CommentStore();
    store.upsert(c("a", "2026-01-01T10:00:00Z"));
    store.upsert(c("b", "2026-01-01T11:00:00Z"));
    store.upsert(c("a1", "2026-01-01T12:00:00Z", { parent: "a", author: { id: null, name: "Client", guest: true } }));
    expect(store.threads().map((t) => [t.root.id, t.replies.map((r) => r.id)])).toEqual([
      ["a", ["a1"]],
      ["b", []],
    ]);
    store.upsert(c("b", "2026-01-01T11:00:00Z", { resolved: true }));
    expect(store.size).toBe(3);
    expect(store.threads({ includeResolved: false }).map((t) => t.root.id)).toEqual(["a"]);
  });

  it("count unread: by others, after the watermark", () => {
    const store = new CommentStore();
    store.upsert(c("mine", "2026-01-01T10:00:00Z"));
    store.upsert(c("old", "2026-01-01T09:00:00Z", { author: { id: 2, name: "Rita", guest: false } }));
    store.upsert(c("guest", "2026-01-01T11:00:00Z", { author: { id: null, name: "Client", guest: true } }));
    expect(store.unread(1, null)).toBe(2);
    expect(store.unread(1, "2026-01-01T10:30:00Z")).toBe(1);
  });
});

describe("comments on a clip's moments (review/clipComments)", () => {
  const at = (id: string, created: string, anchor: Record<string, unknown>, parent: string | null = null): ReviewComment =>
    ({ id, board: "b", parent, target: "iteration", anchor, body: id, author: { id: 1, name: "Rita", guest: false }, resolved: false, resolved_at: null, created_at: created }) as ReviewComment;

  it("pins the player's position in hundredths, rounded down so the last frame stays in the clip", () => {
    expect(momentComment("c1", "pops", 1.9583)).toEqual({ body: "pops", target: "iteration", iteration: "c1", time: 1.95 });
    expect(momentComment("c1", "pops", -0.2)).toMatchObject({ time: 0 });
    expect(momentComment("c1", "no moment", null)).toEqual({ body: "no moment", target: "iteration", iteration: "c1" });
    expect(momentComment("c1", "not loaded", Number.NaN)).not.toHaveProperty("time");
  });

  it("lists only the candidate's threads, replies under their root", () => {
    const store = new CommentStore();
    store.upsert(at("a", "2026-01-01T00:00:01Z", { iteration: "c1", time: 1.5 }));
    store.upsert(at("b", "2026-01-01T00:00:02Z", { iteration: "c2" }));
    store.upsert(at("r", "2026-01-01T00:00:03Z", { iteration: "c1", time: 1.5 }, "a"));
    const threads = candidateThreads(store, "c1");
    expect(threads.map((t) => [t.root.id, t.root.anchor.time, t.replies.map((r) => r.id)])).toEqual([["a", 1.5, ["r"]]]);
  });
});
