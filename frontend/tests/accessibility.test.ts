import { describe, expect, it } from "vitest";
import { type Spoken, jobAnnouncement } from "../src/jobs/announce";
import { moveRegion, regionInView, regionKey, resizeRegion, MAX_REGION_EDGE, MIN_REGION_EDGE } from "../src/jobs/region";
import { type ListState, activeAfterDelete, activeRow, listKey, rangeBetween } from "../src/ui/listKeys";
import { job } from "./jobFixtures";

const IDS = ["a", "b", "c", "d", "e"];
const state = (over: Partial<ListState> = {}): ListState => ({ ids: IDS, active: "b", selected: new Set(["b"]), anchor: "b", ...over });

describe("layers list: roving tabindex", () => {
  it("gives the Tab stop to the remembered row, else the first selected, else the first", () => {
    expect(activeRow(IDS, "d", new Set(["b"]))).toBe("d");
    expect(activeRow(IDS, "gone", new Set(["c", "e"]))).toBe("c");
    expect(activeRow(IDS, null, new Set())).toBe("a");
    expect(activeRow([], null, new Set())).toBeNull();
  });

  it("moves with arrows, Home and End, selecting the row it lands on, and stops at the ends", () => {
    expect(listKey(state(), { key: "ArrowDown" })).toEqual({ kind: "move", active: "c", select: ["c"], anchor: "c" });
    expect(listKey(state(), { key: "ArrowUp" })).toEqual({ kind: "move", active: "a", select: ["a"], anchor: "a" });
    expect(listKey(state({ active: "a" }), { key: "ArrowUp" })).toMatchObject({ active: "a", select: ["a"] });
    expect(listKey(state({ active: "e" }), { key: "ArrowDown" })).toMatchObject({ active: "e" });
    expect(listKey(state(), { key: "Home" })).toMatchObject({ active: "a", select: ["a"] });
    expect(listKey(state(), { key: "End" })).toMatchObject({ active: "e", select: ["e"] });
  });

  it("extends a range from the anchor with Shift, in either direction", () => {
    expect(listKey(state(), { key: "ArrowDown", shift: true })).toEqual({ kind: "move", active: "c", select: ["b", "c"], anchor: "b" });
    const further = state({ active: "c", selected: new Set(["b", "c"]) });
    expect(listKey(further, { key: "End", shift: true })).toMatchObject({ select: ["b", "c", "d", "e"], anchor: "b" });
    expect(listKey(state(), { key: "Home", shift: true })).toMatchObject({ select: ["a", "b"] });
    expect(rangeBetween(IDS, "d", "b")).toEqual(["b", "c", "d"]);
  });

  it("moves focus without touching the selection with ⌘/Ctrl; Space toggles the focused row", () => {
    expect(listKey(state(), { key: "ArrowDown", mod: true })).toEqual({ kind: "move", active: "c", select: null, anchor: "b" });
    expect(listKey(state({ active: "c" }), { key: " " })).toEqual({ kind: "toggle", id: "c" });
  });

  it("opens the focused row with Enter and deletes the selection (or the focused row) with Delete", () => {
    expect(listKey(state({ active: "d" }), { key: "Enter" })).toEqual({ kind: "open", id: "d" });
    expect(listKey(state({ selected: new Set(["d", "b"]) }), { key: "Delete" })).toEqual({ kind: "delete", ids: ["b", "d"] });
    expect(listKey(state({ active: "c", selected: new Set() }), { key: "Backspace" })).toEqual({ kind: "delete", ids: ["c"] });
  });

  it("leaves every other key to the board shortcuts, and does nothing in an empty list", () => {
    expect(listKey(state(), { key: "z", mod: true })).toEqual({ kind: "none" });
    expect(listKey(state(), { key: "]" })).toEqual({ kind: "none" });
    expect(listKey(state({ ids: [], active: null, selected: new Set() }), { key: "ArrowDown" })).toEqual({ kind: "none" });
  });

  it("after a delete focuses the next surviving row, else the one above", () => {
    expect(activeAfterDelete(IDS, ["b", "c"])).toBe("d");
    expect(activeAfterDelete(IDS, ["d", "e"])).toBe("c");
    expect(activeAfterDelete(["a"], ["a"])).toBeNull();
  });
});

describe("region by keyboard", () => {
  const r = { x: 100, y: 50, width: 400, height: 300 };

  it("moves with arrows and resizes with Alt/Ctrl+arrows, Shift for ×10", () => {
    expect(regionKey(r, "ArrowRight", {}, 5)).toEqual({ x: 105, y: 50, width: 400, height: 300 });
    expect(regionKey(r, "ArrowUp", { shift: true }, 5)).toEqual({ x: 100, y: 0, width: 400, height: 300 });
    expect(regionKey(r, "ArrowRight", { alt: true }, 5)).toEqual({ x: 100, y: 50, width: 405, height: 300 });
    expect(regionKey(r, "ArrowUp", { alt: true, shift: true }, 5)).toEqual({ x: 100, y: 50, width: 400, height: 250 });
    expect(regionKey(r, "Enter", {}, 5)).toBeNull();
  });

  it("keeps whole units and the server's edge limits", () => {
    expect(moveRegion(r, 0.4, -0.6)).toEqual({ x: 100, y: 49, width: 400, height: 300 });
    expect(resizeRegion(r, -1000, 0).width).toBe(MIN_REGION_EDGE);
    expect(resizeRegion(r, 0, MAX_REGION_EDGE).height).toBe(MAX_REGION_EDGE);
  });

  it("starts in the middle half of the view when nothing is selected", () => {
    expect(regionInView({ x: 0, y: 0, width: 1000, height: 800 })).toEqual({ x: 250, y: 200, width: 500, height: 400 });
  });
});

describe("job announcements", () => {
  const say = (j: ReturnType<typeof job>, before: Spoken | null, results = 0) => jobAnnouncement(j, before, results);

  it("speaks queued, started, each quarter once, and done with the result count", () => {
    const queued = say(job({ state: "queued" }), null);
    expect(queued?.text).toBe("Image to image job queued.");
    const started = say(job({ state: "running", progress: 0.1 }), queued!.spoken);
    expect(started?.text).toBe("Image to image job started.");
    expect(say(job({ state: "running", progress: 0.2 }), started!.spoken)).toBeNull();
    const half = say(job({ state: "running", progress: 0.55 }), started!.spoken);
    expect(half?.text).toBe("Image to image job 50% done.");
    expect(say(job({ state: "running", progress: 0.6 }), half!.spoken)).toBeNull();
    const done = say(job({ state: "succeeded", progress: 1 }), half!.spoken, 4);
    expect(done).toMatchObject({ text: "Image to image job done: 4 results ready in the strip below the canvas (S goes there).", urgent: false });
    expect(say(job({ state: "succeeded", progress: 1 }), done!.spoken, 4)).toBeNull();
  });

  it("interrupts with the reason when a job fails", () => {
    const failed = say(job({ state: "failed", error: { code: "engine_error", message: "The engine ran out of memory" } }), { state: "running", quarter: 1 });
    expect(failed).toMatchObject({ text: "Image to image job failed: The engine ran out of memory.", urgent: true });
  });
});
