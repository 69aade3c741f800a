/**
 * Presence: sends this user's cursor (throttled) and selection, and draws other people's
 * cursors with their names and colours over the canvas. A toggle hides one's own presence
 * (the server is told `hidden: true`, so others stop seeing us).
 */
import type { Editor } from "../editor";
import { boardToScreen, type Point } from "../model/geometry";
import { MAX_PRESENCE_SELECTION, type PresenceInMessage, presenceMessage } from "../protocol";
import type { BoardConnection } from "../realtime/connection";
import { h, setHidden, setStyles } from "./dom";

const SEND_EVERY_MS = 60;

export class PresenceLayer {
  readonly element = h("div", { class: "ab-presence", "aria-hidden": "true" });
  private readonly others = new Map<string, { msg: PresenceInMessage; el: HTMLElement }>();
  private cursor: Point | null = null;
  private hidden = false;
  private lastSent = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly editor: Editor,
    private readonly connection: BoardConnection,
    private readonly selfId: string,
  ) {
    editor.on("camera", () => this.place());
    editor.on("selection", () => this.send());
  }

  setCursor(board: Point | null): void {
    this.cursor = board;
    this.send();
  }

  setHidden(hidden: boolean): void {
    this.hidden = hidden;
    this.send(true);
  }

  /** Resend after a reconnect so others see us again. */
  resend(): void {
    this.send(true);
  }

  receive(msg: PresenceInMessage): void {
    const id = String(msg.user.id);
    if (id === this.selfId) return;
    let entry = this.others.get(id);
    const selectionChanged = !entry || JSON.stringify(entry.msg.selection) !== JSON.stringify(msg.selection);
    if (!entry) {
      const el = h("div", { class: "ab-cursor" }, h("span", { class: "ab-cursor-dot" }), h("span", { class: "ab-cursor-name" }));
      this.element.append(el);
      entry = { msg, el };
      this.others.set(id, entry);
    }
    entry.msg = msg;
    // Cursor moves arrive many times a second; only re-cull when a selection changed.
    if (selectionChanged) this.publishSelections();
    entry.el.style.setProperty("--c", msg.color || "#e11d48");
    (entry.el.querySelector(".ab-cursor-name") as HTMLElement).textContent = msg.user.name;
    this.placeOne(entry);
  }

  leave(userId: string | number): void {
    const entry = this.others.get(String(userId));
    entry?.el.remove();
    this.others.delete(String(userId));
    this.publishSelections();
  }

  private publishSelections(): void {
    const map = new Map<string, string>();
    for (const { msg } of this.others.values()) {
      for (const id of msg.selection ?? []) map.set(id, msg.color || "#e11d48");
    }
    this.editor.renderer.setRemoteSelections(map);
  }

  get count(): number {
    return this.others.size;
  }

  private place(): void {
    for (const entry of this.others.values()) this.placeOne(entry);
  }

  private placeOne(entry: { msg: PresenceInMessage; el: HTMLElement }): void {
    const c = entry.msg.cursor;
    setHidden(entry.el, !c);
    if (!c) return;
    const s = boardToScreen(this.editor.camera, c);
    setStyles(entry.el, { transform: `translate(${s.x}px, ${s.y}px)` });
  }

  private send(force = false): void {
    const now = performance.now();
    const wait = SEND_EVERY_MS - (now - this.lastSent);
    if (!force && wait > 0) {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.send(true);
      }, wait);
      return;
    }
    this.lastSent = now;
    const cursor = this.hidden || !this.cursor ? null : { x: Math.round(this.cursor.x), y: Math.round(this.cursor.y) };
    const selection = this.hidden ? [] : [...this.editor.selection].slice(0, MAX_PRESENCE_SELECTION);
    this.connection.sendVolatile(presenceMessage(cursor, selection, this.hidden));
  }
}
