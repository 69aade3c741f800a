/**
 * A listen-only board socket for pages that show review state but not the canvas (the
 * review page): it connects, reconnects with backoff, and hands `decision`, `comment`,
 * `consistency`, `iteration` (a new result: maybe a new candidate) and `batch_progress` (the
 * matrix's live counts) messages to a callback. The canvas page gets the same messages through BoardConnection.
 *
 * It must not send edits or presence.
 */
import { absoluteWsUrl, backoffDelay } from "../realtime/connection";
import type { ConsistencyMessage, ReviewMessage } from "./types";
import type { BatchProgressMessage } from "../protocol/generated";

export type LiveStatus = "online" | "offline" | "denied";

export type LiveMessage = ReviewMessage | ConsistencyMessage | BatchProgressMessage | { type: "iteration"; iteration: { id: string } };

const LIVE_TYPES = new Set(["decision", "comment", "iteration", "consistency", "batch_progress"]);

export function listenToBoard(wsPath: string, onMessage: (msg: LiveMessage) => void, onStatus: (s: LiveStatus) => void): () => void {
  let attempt = 0;
  let stopped = false;
  let socket: WebSocket | null = null;
  const open = () => {
    socket = new WebSocket(absoluteWsUrl(wsPath, window.location));
    socket.onopen = () => {
      attempt = 0;
      onStatus("online");
    };
    socket.onmessage = (ev) => {
      let msg: { type?: string } | null = null;
      try {
        msg = JSON.parse(String(ev.data));
      } catch {
        return;
      }
      if (msg && LIVE_TYPES.has(msg.type ?? "")) onMessage(msg as LiveMessage);
    };
    socket.onclose = (ev) => {
      if (stopped) return;
      if (ev.code >= 4400 && ev.code < 4500) {
        onStatus("denied");
        return;
      }
      onStatus("offline");
      setTimeout(open, backoffDelay(attempt++));
    };
  };
  open();
  return () => {
    stopped = true;
    socket?.close();
  };
}
