import { describe, expect, it } from "vitest";
import { stepZ, zBetween, zTop } from "../src/model/zorder";

describe("fractional z", () => {
  it("lands strictly between neighbours", () => {
    expect(zBetween(1, 2)).toBe(1.5);
    expect(zBetween(null, 2)).toBeLessThan(2);
    expect(zBetween(3, null)).toBeGreaterThan(3);
    expect(zTop([1, 7.5, 3])).toBe(8);
    expect(zTop([])).toBe(1);
  });

  it("brings a selection forward past its unselected neighbour only", () => {
    const order = [
      { id: "a", z: 1 },
      { id: "b", z: 2 },
      { id: "c", z: 3 },
      { id: "d", z: 4 },
    ];
    const moved = stepZ(order, new Set(["a", "b"]), 1);
    expect(moved.has("a") && moved.has("b")).toBe(true);
    const final = order.map((o) => ({ id: o.id, z: moved.get(o.id) ?? o.z })).sort((x, y) => x.z - y.z);
    expect(final.map((o) => o.id)).toEqual(["c", "a", "b", "d"]);
  });

  it("does nothing at the bottom when sending backward", () => {
    const order = [
      { id: "a", z: 1 },
      { id: "b", z: 2 },
    ];
    expect(stepZ(order, new Set(["a"]), -1).size).toBe(0);
    const m = stepZ(order, new Set(["b"]), -1);
    expect(m.get("b")).toBeLessThan(1);
  });
});
