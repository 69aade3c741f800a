import { describe, expect, it } from "vitest";
import { opsMessage, parseServerMessage, toWire } from "../src/protocol";
import { item } from "./helpers";

describe("protocol", () => {
  it("sends creates with the asset id and without a revision", () => {
    const asset = { id: "as-1", sha256: "s", width: 10, height: 10, levels: [256], original_url: "/o", level_url: "/{level}" };
    const wire = toWire({ op: "create", item: { ...item({ id: "i1" }), asset, revision: 9 } });
    expect(wire).toMatchObject({ op: "create", item: { id: "i1", asset: "as-1" } });
    expect("revision" in (wire as { item: object }).item).toBe(false);
    const msg = opsMessage("b1", [{ op: "create", item: item({ id: "i2", kind: "text" }) }, { op: "delete", id: "i1" }]);
    expect(msg.ops).toEqual([
      expect.objectContaining({ op: "create", item: expect.objectContaining({ id: "i2", asset: null }) }),
      { op: "delete", id: "i1" },
    ]);
  });

  it("accepts known server messages only", () => {
    expect(parseServerMessage('{"type":"ack","batch_id":"b","revision":3}')).toEqual({ type: "ack", batch_id: "b", revision: 3 });
    expect(parseServerMessage('{"type":"nope"}')).toBeNull();
    expect(parseServerMessage("not json")).toBeNull();
    expect(parseServerMessage("[1,2]")).toBeNull();
  });
});
