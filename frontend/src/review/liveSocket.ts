/**
 * A listen-only board socket for pages that show review state but not the canvas (the
 * review page): it connects, reconnects with backoff, and hands `decision`, `comment`,
 * `consistency` and `iteration` (a new result: maybe a new candidate) messages to a callback. The canvas page gets the same messages through BoardConnection.
 *
 * It must not send edits or presence.
 */
import { absoluteWsUrl, backoffDelay } from "../realtime/connection";
import type { ConsistencyMessage, ReviewMessage } from "./types";

export type LiveStatus = "online" | "offline" | "denied";

export type LiveMessage = ReviewMessage | ConsistencyMessage | { type: "iteration"; iteration: { id: string } };

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
      if (msg && (msg.type === "decision" || msg.type === "comment" || msg.type === "iteration" || msg.type === "consistency")) onMessage(msg as LiveMessage);
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
