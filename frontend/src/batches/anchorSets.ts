/**
 * The batch dialog's anchor sets: each set is a list of board images with a role
 * (composition, palette, lighting, style), and the batch runs every combination once per
 * set — e.g. the same prompts under two lighting references. Set 1 starts as the
 * generation panel's anchors; more sets are made by picking board images and their roles.
 *
 * It edits the sets only: the server checks roles, counts and the kit's required roles.
 */
import type { Editor } from "../editor";
import { ANCHOR_ROLES } from "../protocol";
import { h } from "../ui/dom";
import { iconButton } from "../ui/icons";
import type { AnchorRef, AnchorRole } from "./spec";

/** More images than this are not listed in the picker (a board may hold thousands). */
const MAX_PICKER_IMAGES = 300;

export class AnchorSetsEditor {
  readonly element = h("div", { class: "ab-batch-sets", "data-testid": "batch-anchor-sets" });
  private data: AnchorRef[][] = [[]];

  constructor(
    private readonly editor: Editor,
    private readonly onChange: () => void,
  ) {}

  /** The sets as edited (empty sets included: the spec builder drops them). */
  sets(): AnchorRef[][] {
    return this.data.map((set) => set.map((a) => ({ ...a })));
  }

  set(sets: AnchorRef[][]): void {
    this.data = sets.length ? sets.map((s) => s.map((a) => ({ ...a }))) : [[]];
    this.render();
  }

  private images() {
    const all = this.editor.doc.ordered().filter((i) => i.kind === "image");
    // Anchors first: they are what a set is usually made of.
    return [...all.filter((i) => i.anchor_role), ...all.filter((i) => !i.anchor_role)].slice(0, MAX_PICKER_IMAGES);
  }

  private nameOf(id: string): string {
    const item = this.editor.doc.get(id);
    return item ? item.name || "Untitled image" : "an image no longer on the board";
  }

  private render(): void {
    const images = this.images();
    const sets = this.data.map((set, index) => {
      const chips = set.length
        ? set.map((a, i) =>
            h(
              "li",
              { class: "ab-batch-chip", "data-testid": "batch-anchor" },
              h("span", {}, this.nameOf(a.item_id), " "),
              h("span", { class: `ab-anchor-role ${a.role}` }, a.role),
              iconButton({ icon: "close", label: `Remove ${this.nameOf(a.item_id)} (${a.role}) from set ${index + 1}`, onClick: () => this.update(() => set.splice(i, 1)) }),
            ),
          )
        : [h("li", { class: "muted" }, "No anchors in this set.")];
      const pick = h("select", { "aria-label": `Image to add to anchor set ${index + 1}`, "data-testid": `batch-anchor-pick-${index}` }, h("option", { value: "" }, "Add an image…"));
      for (const img of images) pick.append(h("option", { value: img.id }, `${img.name || "Untitled image"}${img.anchor_role ? ` (${img.anchor_role})` : ""}`));
      const role = h("select", { "aria-label": `Role of the image in anchor set ${index + 1}`, "data-testid": `batch-anchor-role-${index}` }, ...ANCHOR_ROLES.map((r) => h("option", { value: r }, r)));
      pick.addEventListener("change", () => {
        const item = this.editor.doc.get(pick.value);
        if (item?.anchor_role) role.value = item.anchor_role;
      });
      const add = h("button", { type: "button", class: "ab-btn", "data-testid": `batch-anchor-add-${index}` }, "Add");
      add.addEventListener("click", () => {
        if (!pick.value) return pick.focus();
        const ref = { item_id: pick.value, role: role.value as AnchorRole };
        if (set.some((a) => a.item_id === ref.item_id && a.role === ref.role)) return;
        this.update(() => set.push(ref));
      });
      const head = h("div", { class: "ab-batch-set-head" }, h("strong", {}, `Set ${index + 1}`));
      if (this.data.length > 1) {
        head.append(iconButton({ icon: "discard", label: `Remove anchor set ${index + 1}`, testid: "batch-anchor-set-remove", onClick: () => this.update(() => this.data.splice(index, 1)) }));
      }
      return h(
        "div",
        { class: "ab-batch-set", role: "group", "aria-label": `Anchor set ${index + 1}`, "data-testid": "batch-anchor-set" },
        head,
        h("ul", { class: "ab-batch-chips" }, ...chips),
        images.length ? h("div", { class: "ab-batch-pick" }, pick, role, add) : h("p", { class: "muted" }, "No images on this board to use as anchors."),
      );
    });
    const addSet = h("button", { type: "button", class: "ab-btn", "data-testid": "batch-anchor-set-add" }, "Add another anchor set");
    addSet.addEventListener("click", () => this.update(() => this.data.push([])));
    const note = h("p", { class: "ab-batch-hint" }, this.data.length > 1 ? "Every combination runs once per set (empty sets are left out)." : "One set: every job uses these anchors. Add a set to compare, e.g., two lighting references.");
    this.element.replaceChildren(...sets, h("div", { class: "ab-gen-row" }, addSet), note);
  }

  /** Change the sets and redraw them, keeping the keyboard focus on the same control (or
   * the set's picker) rather than losing it to the page when its element is replaced. */
  private update(change: () => void): void {
    const active = document.activeElement instanceof HTMLElement && this.element.contains(document.activeElement) ? document.activeElement : null;
    const testid = active?.dataset.testid;
    const set = active?.closest("[data-testid=batch-anchor-set]");
    const setIndex = set ? [...this.element.querySelectorAll("[data-testid=batch-anchor-set]")].indexOf(set) : -1;
    change();
    this.render();
    this.onChange();
    if (!active) return;
    const again =
      (testid && testid !== "batch-anchor-set-remove" ? this.element.querySelector<HTMLElement>(`[data-testid="${testid}"]`) : null) ??
      this.element.querySelector<HTMLElement>(`[data-testid="batch-anchor-pick-${Math.max(0, Math.min(setIndex, this.data.length - 1))}"]`) ??
      this.element.querySelector<HTMLElement>("[data-testid=batch-anchor-set-add]");
    again?.focus();
  }
}
