/**
 * The staging strip's state: which staged result is shown, which are picked for "apply
 * several". Pure, so ← → wrapping and "the shown result disappeared" are tested exactly.
 *
 * It must not know about the DOM or the socket.
 */
export class StagingNav {
  private ids: string[] = [];
  private index = 0;
  readonly picked = new Set<string>();

  get items(): readonly string[] {
    return this.ids;
  }

  get current(): string | null {
    return this.ids[this.index] ?? null;
  }

  get position(): number {
    return this.ids.length ? this.index + 1 : 0;
  }

  /** New list of staged results: keep showing the same one if it is still there. */
  setItems(ids: readonly string[]): void {
    const shown = this.current;
    this.ids = [...ids];
    for (const id of [...this.picked]) if (!this.ids.includes(id)) this.picked.delete(id);
    const keep = shown === null ? -1 : this.ids.indexOf(shown);
    if (keep >= 0) this.index = keep;
    else this.index = Math.min(this.index, Math.max(0, this.ids.length - 1));
  }

  next(): string | null {
    if (this.ids.length) this.index = (this.index + 1) % this.ids.length;
    return this.current;
  }

  prev(): string | null {
    if (this.ids.length) this.index = (this.index - 1 + this.ids.length) % this.ids.length;
    return this.current;
  }

  show(id: string): void {
    const at = this.ids.indexOf(id);
    if (at >= 0) this.index = at;
  }

  togglePick(id: string): void {
    if (this.picked.has(id)) this.picked.delete(id);
    else if (this.ids.includes(id)) this.picked.add(id);
  }

  /** What "Apply" applies: the picked results in strip order, or the shown one. */
  toApply(): string[] {
    if (this.picked.size) return this.ids.filter((id) => this.picked.has(id));
    return this.current ? [this.current] : [];
  }
}
