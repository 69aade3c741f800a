/**
 * The properties panel for the selection: name, position, size, rotation, opacity,
 * hidden, locked, anchor role (images) and text (notes). Every change is one named,
 * undoable action; viewers and guests see plain facts instead (ui/itemDetails.ts).
 */
import type { Editor } from "../editor";
import { setProps } from "../model/actions";
import { ANCHOR_ROLES, type ItemData, type ItemPatch } from "../protocol";
import { h, rafThrottle } from "./dom";
import { itemDetails } from "./itemDetails";

export function buildPropertiesPanel(editor: Editor): HTMLElement {
  const body = h("div", { class: "ab-props" });
  const element = h("section", { class: "ab-panel" }, h("h3", {}, "Properties"), body);

  const apply = (patch: ItemPatch, name: string) => editor.run(setProps(editor.doc, editor.selection, patch, name));

  const numberField = (label: string, prop: "x" | "y" | "width" | "height" | "rotation", item: ItemData, name: string) => {
    const input = h("input", { type: "number", step: "any", value: round(item[prop]), "data-prop": prop, disabled: !editor.canEdit });
    input.addEventListener("change", () => {
      const v = Number(input.value);
      if (!Number.isFinite(v) || ((prop === "width" || prop === "height") && v <= 0)) {
        input.value = round(item[prop]);
        editor.notify("error", `${label} must be a number${prop === "width" || prop === "height" ? " above 0" : ""}.`);
        return;
      }
      apply({ [prop]: v }, name);
    });
    return h("label", {}, label, input);
  };

  const render = () => {
    const items = [...editor.selection].map((id) => editor.doc.get(id)).filter((i): i is ItemData => !!i);
    if (!editor.canEdit) {
      body.replaceChildren(...itemDetails(items)); // facts, not disabled inputs
      return;
    }
    if (!items.length) {
      body.replaceChildren(h("p", { class: "muted" }, editor.canEdit ? "Select something to edit it. Drop or paste images to add them." : "Select something to inspect it."));
      return;
    }
    const first = items[0] as ItemData;
    const single = items.length === 1;
    const rows: HTMLElement[] = [];
    if (single) {
      const name = h("input", { type: "text", value: first.name, placeholder: "Unnamed", maxlength: 200, "data-prop": "name", disabled: !editor.canEdit });
      name.addEventListener("change", () => apply({ name: name.value.trim() }, "Rename"));
      rows.push(h("label", { class: "wide" }, "Name", name));
      rows.push(
        h("div", { class: "ab-grid2" },
          numberField("X", "x", first, "Move"),
          numberField("Y", "y", first, "Move"),
          numberField("W", "width", first, "Resize"),
          numberField("H", "height", first, "Resize"),
          numberField("Rotation °", "rotation", first, "Rotate"),
        ),
      );
      if (first.kind === "text") {
        const text = h("textarea", { rows: 4, "data-prop": "text", disabled: !editor.canEdit });
        text.value = String(first.props.text ?? "");
        text.addEventListener("change", () => apply({ props: { ...first.props, text: text.value } }, "Edit text"));
        rows.push(h("label", { class: "wide" }, "Text", text));
      }
      if (first.asset) {
        rows.push(h("p", { class: "muted" }, `Source ${first.asset.width}×${first.asset.height} px`));
      }
    } else {
      rows.push(h("p", {}, `${items.length} items selected`));
    }
    const opacity = h("input", { type: "range", min: 0, max: 100, value: Math.round(first.opacity * 100), "data-prop": "opacity", disabled: !editor.canEdit });
    opacity.addEventListener("change", () => apply({ opacity: Number(opacity.value) / 100 }, "Opacity"));
    rows.push(h("label", { class: "wide" }, "Opacity", opacity));
    const hidden = checkbox("Hidden", items.every((i) => i.hidden), (v) => apply({ hidden: v }, v ? "Hide" : "Show"));
    const locked = checkbox("Locked", items.every((i) => i.locked), (v) => apply({ locked: v }, v ? "Lock" : "Unlock"));
    rows.push(h("div", { class: "ab-row" }, hidden, locked));
    if (items.every((i) => i.kind === "image")) {
      const role = h("select", { "data-prop": "anchor_role", disabled: !editor.canEdit });
      role.append(h("option", { value: "" }, "Not an anchor"));
      for (const r of ANCHOR_ROLES) role.append(h("option", { value: r }, r[0]?.toUpperCase() + r.slice(1)));
      role.value = items.every((i) => i.anchor_role === first.anchor_role) ? first.anchor_role : "";
      role.addEventListener("change", () => apply({ anchor_role: role.value as ItemData["anchor_role"] }, role.value ? "Mark anchor" : "Unmark anchor"));
      rows.push(h("label", { class: "wide" }, "Anchor role", role));
    }
    body.replaceChildren(...rows);
  };

  const checkbox = (label: string, checked: boolean, onChange: (v: boolean) => void) => {
    const input = h("input", { type: "checkbox", checked, disabled: !editor.canEdit });
    input.addEventListener("change", () => onChange(input.checked));
    return h("label", { class: "ab-check" }, input, ` ${label}`);
  };

  // Re-render on document changes only when the user is not typing in this panel.
  const throttled = rafThrottle(() => {
    if (body.contains(document.activeElement) && document.activeElement !== document.body) return;
    render();
  });
  editor.on("selection", render);
  editor.on("document", throttled);
  editor.on("editable", render);
  document.addEventListener("ab:edit-item", (e) => {
    render();
    // Notes are edited in place on the canvas (ui/textEditor.ts); frames get their name.
    const item = editor.doc.get((e as CustomEvent<{ id: string }>).detail.id);
    if (item?.kind === "frame") body.querySelector<HTMLElement>('[data-prop="name"]')?.focus();
  });
  render();
  return element;
}

function round(v: number): string {
  return String(Math.round(v * 100) / 100);
}
