/** A tiny element builder so panels read as structure, not as createElement noise. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | number | undefined> = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === "class") el.className = String(v);
    else if (k === "text") el.textContent = String(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}

/** Run `fn` at most once per animation frame however often it is requested. */
export function rafThrottle(fn: () => void): () => void {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      fn();
    });
  };
}

/*
 * Writes that skip themselves when nothing would change. Overlays that follow the camera call
 * these on every pan frame: an unchanged `hidden`, text or child list written again still
 * costs a style recalculation, layout and paint of the page (issue 18's trace: a full layout
 * and two full-document paints per wheel event).
 */

/** Set inline style properties (camelCase names) whose values differ. */
export function setStyles(el: HTMLElement, styles: Partial<Record<"left" | "top" | "width" | "height" | "transform", string>>): void {
  for (const [k, v] of Object.entries(styles) as [keyof typeof styles, string][]) {
    if (el.style[k] !== v) el.style[k] = v;
  }
}

/** Show or hide an element only if that changes anything. */
export function setHidden(el: HTMLElement, hidden: boolean): void {
  if (el.hidden !== hidden) el.hidden = hidden;
}

/** Set an element's text only if it differs. */
export function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

/** Set an attribute only if it differs. */
export function setAttr(el: HTMLElement, name: string, value: string): void {
  if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

/** Replace `parent`'s children with `nodes` unless they are already exactly those nodes. */
export function replaceChildrenIfChanged(parent: HTMLElement, nodes: readonly Node[]): void {
  const current = parent.childNodes;
  if (current.length === nodes.length && nodes.every((n, i) => current[i] === n)) return;
  parent.replaceChildren(...nodes);
}
