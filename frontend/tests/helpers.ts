import type { ItemData } from "../src/protocol";

let n = 0;
/** A plain item with sensible defaults; pass what the test cares about. */
export function item(extra: Partial<ItemData> = {}): ItemData {
  n += 1;
  return {
    id: `item-${n}`,
    kind: "image",
    name: "",
    asset: null,
    x: 0,
    y: 0,
    width: 100,
    height: 100,
    rotation: 0,
    opacity: 1,
    z: n,
    hidden: false,
    locked: false,
    anchor_role: "",
    props: {},
    ...extra,
  };
}
