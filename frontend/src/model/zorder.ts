/**
 * Fractional z keys: reordering one item is one `update {z}`, never a renumbering of the
 * board. Pure functions over numbers.
 */

/** A z strictly between `below` and `above` (either may be missing). */
export function zBetween(below: number | null, above: number | null): number {
  if (below === null && above === null) return 1;
  if (below === null) return (above as number) - 1;
  if (above === null) return below + 1;
  if (above <= below) return below + 1e-9; // already out of order: still land above `below`
  return below + (above - below) / 2;
}

/** z for a new item on top of everything. */
export function zTop(zs: Iterable<number>): number {
  let max: number | null = null;
  for (const z of zs) max = max === null ? z : Math.max(max, z);
  return max === null ? 1 : Math.floor(max) + 1;
}

/**
 * New z values moving `ids` one step forward (+1) or backward (-1) in the given
 * bottom-to-top order, each past its nearest unselected neighbour (Figma's ] and [).
 */
export function stepZ(
  ordered: { id: string; z: number }[],
  ids: Set<string>,
  direction: 1 | -1,
): Map<string, number> {
  const out = new Map<string, number>();
  const order = ordered.map((o) => ({ ...o }));
  const indices = order.map((o, i) => (ids.has(o.id) ? i : -1)).filter((i) => i >= 0);
  if (direction === -1) {
    for (const i of indices) moveOne(order, i, -1, ids, out);
  } else {
    for (const i of indices.reverse()) moveOne(order, i, 1, ids, out);
  }
  return out;
}

function moveOne(
  order: { id: string; z: number }[],
  index: number,
  dir: 1 | -1,
  ids: Set<string>,
  out: Map<string, number>,
): void {
  const self = order[index];
  const next = order[index + dir];
  if (!self || !next || ids.has(next.id)) return;
  const beyond = order[index + 2 * dir];
  const z =
    dir === 1
      ? zBetween(next.z, beyond ? beyond.z : null)
      : zBetween(beyond ? beyond.z : null, next.z);
  self.z = z;
  out.set(self.id, z);
  order[index] = next;
  order[index + dir] = self;
}
