import { describe, expect, it } from "vitest";
import { FocusReturn, type FocusHost } from "../src/ui/focusReturn";

/** A page of named elements: which are in it and can take the focus, which contains which,
 * which toggle opens the closed region an element is in, and the home. */
interface El {
  name: string;
  parent: El | null;
  takes: boolean;
}

function page() {
  const els = new Map<string, El>();
  const add = (name: string, parent: El | null = null, takes = true): El => {
    const el = { name, parent, takes };
    els.set(name, el);
    return el;
  };
  let active: El | null = null;
  const controllers = new Map<El, El>();
  let home: El | null = null;
  const host: FocusHost<El> = {
    active: () => active,
    canTake: (el) => el.takes,
    focus: (el) => {
      active = el;
      return true;
    },
    contains: (outer, inner) => {
      for (let e: El | null = inner; e; e = e.parent) if (e === outer) return true;
      return false;
    },
    controllerOf: (el) => controllers.get(el) ?? null,
    home: () => home,
  };
  return {
    add,
    host,
    focus: (el: El | null) => (active = el),
    get active() {
      return active;
    },
    setHome: (el: El) => (home = el),
    controls: (toggle: El, el: El) => controllers.set(el, toggle),
  };
}

describe("focus return", () => {
  it("gives the focus back to the element that opened, from inside what closes", () => {
    const p = page();
    const opener = p.add("History button");
    const panel = p.add("History panel");
    const close = p.add("close", panel);
    const fr = new FocusReturn(p.host);
    p.focus(opener);
    fr.remember();
    p.focus(close);
    expect(fr.restore(panel)).toBe(opener);
    expect(p.active).toBe(opener);
    expect(fr.remembered).toBeNull();
  });

  it("also when the focus was already lost to <body> (the control was hidden first)", () => {
    const p = page();
    const opener = p.add("Share");
    const fr = new FocusReturn(p.host);
    p.focus(opener);
    fr.remember();
    p.focus(null);
    expect(fr.restore(p.add("dialog"))).toBe(opener);
  });

  it("leaves the focus alone when a click put it somewhere else", () => {
    const p = page();
    const opener = p.add("History button");
    const panel = p.add("History panel");
    const elsewhere = p.add("layers");
    const fr = new FocusReturn(p.host);
    p.focus(opener);
    fr.remember();
    p.focus(elsewhere);
    expect(fr.restore(panel)).toBeNull();
    expect(p.active).toBe(elsewhere);
  });

  it("keeps the first opener when opened again while open, unless told to replace it", () => {
    const p = page();
    const first = p.add("first");
    const second = p.add("second");
    const fr = new FocusReturn(p.host);
    fr.remember(first);
    fr.remember(second);
    expect(fr.remembered).toBe(first);
    fr.remember(second, true);
    expect(fr.remembered).toBe(second);
  });

  it("falls back when the opener is gone: the caller's fallback, then the opener's region's toggle, then home", () => {
    const p = page();
    const canvas = p.add("canvas");
    p.setHome(canvas);
    const sheetToggle = p.add("Details toggle");
    const opener = p.add("History button (in a closed sheet)", null, false);
    p.controls(sheetToggle, opener);
    const again = p.add("open again");

    const withFallback = new FocusReturn(p.host, { fallback: () => again });
    withFallback.remember(opener);
    p.focus(null);
    expect(withFallback.restore()).toBe(again);

    const viaToggle = new FocusReturn(p.host);
    viaToggle.remember(opener);
    p.focus(null);
    expect(viaToggle.restore()).toBe(sheetToggle);

    sheetToggle.takes = false;
    const home = new FocusReturn(p.host);
    home.remember(opener);
    p.focus(null);
    expect(home.restore()).toBe(canvas);
  });

  it("tries `prefer` first (the review page's current card after ← →), and never a target inside what closes", () => {
    const p = page();
    const dialog = p.add("compare");
    const slider = p.add("slider", dialog);
    const opener = p.add("card 1");
    const current = p.add("card 3");
    const fr = new FocusReturn(p.host, { prefer: () => current });
    fr.remember(opener);
    p.focus(slider);
    expect(fr.restore(dialog)).toBe(current);

    const inside = new FocusReturn(p.host, { prefer: () => slider });
    inside.remember(opener);
    p.focus(slider);
    expect(inside.restore(dialog)).toBe(opener);
  });

  it("returns null and moves nothing when no candidate can take the focus", () => {
    const p = page();
    const fr = new FocusReturn(p.host);
    fr.remember(p.add("gone", null, false));
    p.focus(null);
    expect(fr.restore()).toBeNull();
    expect(p.active).toBeNull();
  });
});
