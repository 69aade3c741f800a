/**
 * The staging strip's state: staged results grouped by the job that made them (one region,
 * one prompt), which group and which result in it is shown, and which are picked for
 * "apply several". ← → step within the group; the group switcher moves between jobs, so the
 * counter reads "2 / 4" for one job instead of mixing regions ("1 / 12"). Pure, so the
 * wrapping and "the shown result disappeared" are tested exactly.
 *
 * It must not know about the DOM or the socket.
 */
export class StagingNav {
  private groups: { key: string; ids: string[] }[] = [];
  private group = 0;
  private index = 0;
  readonly picked = new Set<string>();

  /** The results of the shown group, in strip order. */
  get items(): readonly string[] {
    return this.groups[this.group]?.ids ?? [];
  }

  get current(): string | null {
    return this.items[this.index] ?? null;
  }

  /** 1-based place of the shown result in its group (0 when there is none). */
  get position(): number {
    return this.items.length ? this.index + 1 : 0;
  }

  get groupCount(): number {
    return this.groups.length;
  }

  /** 1-based place of the shown group. */
  get groupPosition(): number {
    return this.groups.length ? this.group + 1 : 0;
  }

  get groupKey(): string | null {
    return this.groups[this.group]?.key ?? null;
  }

  /**
   * New list of staged results (oldest first) and the group each belongs to (its job):
   * keep showing the same result if it is still there, else a neighbour in its group.
   */
  setItems(ids: readonly string[], groupOf: (id: string) => string = () => ""): void {
    const shown = this.current;
    const shownGroup = this.groupKey;
    const groups: { key: string; ids: string[] }[] = [];
    const byKey = new Map<string, string[]>();
    for (const id of ids) {
      const key = groupOf(id);
      let list = byKey.get(key);
      if (!list) {
        list = [];
        byKey.set(key, list);
        groups.push({ key, ids: list });
      }
      list.push(id);
    }
    this.groups = groups;
    const all = new Set(ids);
    for (const id of [...this.picked]) if (!all.has(id)) this.picked.delete(id);
    const found = shown === null ? -1 : groups.findIndex((g) => g.ids.includes(shown));
    if (found >= 0) {
      this.group = found;
      this.index = (groups[found] as { ids: string[] }).ids.indexOf(shown as string);
      return;
    }
    const sameGroup = groups.findIndex((g) => g.key === shownGroup);
    if (sameGroup >= 0) this.group = sameGroup;
    else this.group = Math.min(this.group, Math.max(0, groups.length - 1));
    this.index = Math.min(this.index, Math.max(0, this.items.length - 1));
    this.prunePicks();
  }

  next(): string | null {
    if (this.items.length) this.index = (this.index + 1) % this.items.length;
    return this.current;
  }

  prev(): string | null {
    if (this.items.length) this.index = (this.index - 1 + this.items.length) % this.items.length;
    return this.current;
  }

  /** Show the next (+1) or previous (-1) job's results, from their first. */
  stepGroup(direction: 1 | -1): string | null {
    if (this.groups.length) {
      this.group = (this.group + direction + this.groups.length) % this.groups.length;
      this.index = 0;
      this.prunePicks();
    }
    return this.current;
  }

  show(id: string): void {
    const g = this.groups.findIndex((x) => x.ids.includes(id));
    if (g < 0) return;
    if (g !== this.group) {
      this.group = g;
      this.prunePicks();
    }
    this.index = this.items.indexOf(id);
  }

  togglePick(id: string): void {
    if (this.picked.has(id)) this.picked.delete(id);
    else if (this.items.includes(id)) this.picked.add(id);
  }

  /** What "Apply" applies: the picked results in strip order, or the shown one. */
  toApply(): string[] {
    if (this.picked.size) return this.items.filter((id) => this.picked.has(id));
    return this.current ? [this.current] : [];
  }

  /** Picks belong to the shown group ("apply several" lays out one job's results). */
  private prunePicks(): void {
    for (const id of [...this.picked]) if (!this.items.includes(id)) this.picked.delete(id);
  }
}

/**
 * The drifted results the strip's thumbnail row does not show (it scrolls; about six fit):
 * ``first`` and ``last`` are the indices of the first and last thumbnails in view (-1 when
 * none is). In the order "+N drifted" visits them: after the visible span, then before it.
 */
export function driftedOutOfView(ids: readonly string[], first: number, last: number, drifted: (id: string) => boolean): string[] {
  const after: string[] = [];
  const before: string[] = [];
  ids.forEach((id, i) => {
    if (!drifted(id)) return;
    if (first < 0 || i > last) after.push(id);
    else if (i < first) before.push(id);
  });
  return [...after, ...before];
}
