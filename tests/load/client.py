"""A browser-like board client for load runs: one websocket, a confirmed model, the
client-side convergence rules, and timestamps taken at receive.

What the browser app does (frontend/src/realtime/sync.ts), written again from
docs/protocol.md and independent of the server's code:

- the client keeps the *confirmed* model: the server's items as of the highest revision
  ``r`` such that every revision up to ``r`` has been applied (``revision``). Batches that
  arrive out of order are held until the gap is filled and then applied in revision order,
  so last-writer-wins resolves as on the server. Its own batches enter the model when their
  ``ack`` names their revision (the server never echoes them as ``applied``).
- convergence rules (docs/protocol.md "Staying in step", the browser's
  frontend/src/realtime/convergence.ts): the client sends ``sync`` with its revision when
  it sees a revision gap (an ``applied``/``ack`` above ``revision + 1``), when a ``pong``
  names a revision above its own, and when a batch of its own has waited ``UNACKED_SYNC_S``
  for its ``ack`` while the socket is silent; after ``SILENCE_PING_S`` without any message
  it sends ``ping``, then again after 2, 4, 8 … s of silence (never while a ping is
  unanswered), and at least every ``PING_EVERY_S`` busy or not. One ``sync`` at a time:
  a reason found meanwhile raises the revision it knows exists, and an answer short of it
  is followed by one more ``sync``. "Silence" is twice the usual gap between messages
  when that is longer than ``SILENCE_PING_S`` (a steady stream costs no pings). While
  messages keep arriving it asks nothing else (the server answers each socket in order,
  so a reply is on its way and a second request would only add load).
- a dropped socket is reopened as the browser does (0.5 s backoff doubling to 30 s), with
  ``sync`` from the last revision, then every unacknowledged batch is resent with its
  ``batch_id``.

Every message is timestamped with ``time.time()`` as soon as the websocket yields it.
Edits carry their sender's ``time.time()`` at send in ``props.t``, so a receiver on the same
machine measures delivery latency with a clock the server never touches.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import websockets

# The protocol's values (canvas/protocol/limits.py, in ms there; tests/load/test_convergence.py
# checks these copies against them, as this module must not import canvas).
SILENCE_PING_S = 1.0  # nothing heard for this long: ping (the pong says where the board is)
PING_EVERY_S = 25.0  # the longest gap between two pings, quiet or busy (the keep-alive)
UNACKED_SYNC_S = 2.0  # a batch unacknowledged this long: ask for catch-up
SYNC_RETRY_S = 30.0  # a sync unanswered (in silence) this long is sent again

# The documented defaults (docs/protocol.md, ItemData), kept here as a browser keeps its own
# copy: this module must not import Django or canvas (it runs in plain client processes).
ITEM_DEFAULTS: dict[str, Any] = {
    "name": "",
    "x": 0.0,
    "y": 0.0,
    "width": 0.0,
    "height": 0.0,
    "rotation": 0.0,
    "opacity": 1.0,
    "z": 0.0,
    "hidden": False,
    "locked": False,
    "anchor_role": "",
    "props": {},
    "asset": None,
}
NUMBERS = ("x", "y", "width", "height", "rotation", "opacity", "z")
FINISHED = {"succeeded", "failed", "cancelled"}
BOARD_MESSAGES = {"welcome", "snapshot", "catchup", "applied", "ack", "pong", "error"}


def canonical(items: dict[str, dict[str, Any]]) -> str:
    """A digest of a model that two clients agree on exactly when their items agree."""
    rows = []
    for item_id in sorted(items):
        item = items[item_id]
        row = {key: item.get(key, default) for key, default in ITEM_DEFAULTS.items()}
        for key in NUMBERS:
            row[key] = float(row[key])
        asset = row["asset"]
        row["asset"] = asset.get("id") if isinstance(asset, dict) else asset
        row.update(id=item_id, kind=item["kind"], revision=item.get("revision"))
        rows.append(row)
    return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()


def apply_ops(items: dict[str, dict[str, Any]], ops: list[dict[str, Any]], revision: int) -> None:
    """Apply one batch to a model, as docs/protocol.md "Applying a batch" says."""
    for op in ops:
        if op["op"] == "create":
            item = {**ITEM_DEFAULTS, **op["item"], "revision": revision}
            items[item["id"]] = item
        elif op["op"] == "update":
            item = items.get(op["id"])
            if item is not None:  # absent only if the model is already wrong: hash shows it
                item.update(op["set"])
                item["revision"] = revision
        else:
            items.pop(op["id"], None)


@dataclass
class Stats:
    ack_latency: list[float] = field(default_factory=list)  # s, own batches
    delivery_latency: list[float] = field(default_factory=list)  # s, others' edits (props.t)
    received: int = 0  # applied batches (live or catch-up)
    errors: dict[str, int] = field(default_factory=dict)
    syncs: dict[str, int] = field(default_factory=dict)  # reason → count
    closes: list[Any] = field(default_factory=list)  # close codes of dropped sockets
    snapshots: int = 0
    pings: int = 0
    reconnects: int = 0
    reconnect_failures: int = 0
    presence: int = 0  # cursor messages sent


class LoadClient:
    """One board socket. ``record`` turns latency recording on (off while connecting)."""

    def __init__(self, url: str, board: str, cookie: str, origin: str) -> None:
        self.url = f"{url.replace('http://', 'ws://')}/ws/boards/{board}/"
        self.headers = {"Cookie": f"sessionid={cookie}", "Origin": origin}
        self.items: dict[str, dict[str, Any]] = {}
        self.revision: int | None = None
        self.reached_at = 0.0  # time.time() when ``revision`` last advanced
        self.ahead: dict[int, list[dict[str, Any]]] = {}
        self.pending: dict[str, tuple[float, list[dict[str, Any]]]] = {}
        self.other: dict[str, list[int]] = {}  # sizes of the other messages, by type
        self.finished_jobs: set[str] = set()  # ids of jobs seen succeeded/failed/cancelled
        self.stats = Stats()
        self.record = False
        self.last_ack = 0.0
        self.synced = asyncio.Event()
        self._socket: Any = None
        self._heard = time.time()
        self._pinged = 0.0
        self._news = time.time()  # the last message other than a pong
        self._silent_pings = 0  # pings sent since then
        self._ping_out = False  # a ping not yet answered: no silence ping until its pong
        self._cadence = 0.0  # the usual gap between messages (moving average, pauses ≤ 2 s)
        self._unacked_synced = 0.0
        self._sync_sent: float | None = None
        self._known = -1  # the highest revision the server is known to have reached
        self._parts: list[dict[str, Any]] = []
        self._tasks: list[asyncio.Task] = []
        self._closing = False
        self._online = False  # synced on the current socket: batches may go out directly

    # --- connection ---------------------------------------------------------------------

    async def connect(self) -> None:
        """Open the socket and start listening; later drops are reconnected as the browser
        does (backoff, ``sync`` from the last revision, then resend unacknowledged batches
        with their ``batch_id``, which the server applies at most once)."""
        await self._open_socket()
        self._tasks = [asyncio.create_task(self._run()), asyncio.create_task(self._rules())]

    async def _open_socket(self) -> None:
        self._online = False
        self._socket = await websockets.connect(
            self.url,
            additional_headers=self.headers,
            open_timeout=60,
            ping_interval=None,  # the app's own ping is part of what is measured
            max_size=2**24,
        )
        self._heard = self._pinged = time.time()
        self._ping_out = False
        self._sync_sent = time.time()
        self._known = -1
        await self._send({"type": "sync", "since": self.revision})

    async def close(self) -> None:
        self._closing = True
        for task in self._tasks:
            task.cancel()
        if self._socket is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._socket.close(), 5)
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    @property
    def open(self) -> bool:
        return self._socket is not None and self._socket.close_code is None

    async def _send(self, message: dict[str, Any]) -> bool:
        if self._socket is None:
            return False
        try:
            await self._socket.send(json.dumps(message, separators=(",", ":")))
        except websockets.WebSocketException:
            return False
        return True

    # --- sending edits ------------------------------------------------------------------

    async def send_ops(self, ops: list[dict[str, Any]]) -> None:
        """Queue a batch and send it now if the socket is in step (otherwise it goes out
        after the next sync, as the browser's pending batches do)."""
        batch_id = f"load-{uuid.uuid4().hex}"
        self.pending[batch_id] = (time.time(), ops)
        if self._online:
            await self._send({"type": "ops", "batch_id": batch_id, "ops": ops})

    async def sync(self, reason: str) -> None:
        """Ask for catch-up, unless a sync is already unanswered (its answer comes first;
        ``_in_step`` asks again if it stops short of ``_known``)."""
        if self._sync_sent is not None and reason != "retry":
            return
        self.stats.syncs[reason] = self.stats.syncs.get(reason, 0) + 1
        self._sync_sent = time.time()
        await self._send({"type": "sync", "since": self.revision})

    # --- receiving ----------------------------------------------------------------------

    async def _run(self) -> None:
        attempt = 0
        while not self._closing:
            try:
                async for raw in self._socket:
                    now = time.time()
                    self._heard = now
                    message = json.loads(raw)
                    if message["type"] != "pong":
                        gap = min(now - self._news, 2 * SILENCE_PING_S)
                        self._cadence += 0.2 * (gap - self._cadence)
                        self._news, self._silent_pings = now, 0
                    if message["type"] not in BOARD_MESSAGES:  # job, presence, review …
                        self.other.setdefault(message["type"], []).append(len(raw))
                        job = message.get("job")
                        if message["type"] == "job" and job["state"] in FINISHED:
                            self.finished_jobs.add(job["id"])
                    await self._handle(message, now)
            except websockets.WebSocketException:
                pass
            if self._closing:
                return
            self.stats.closes.append(self._socket.close_code)
            self._socket = None
            self._online = False
            while not self._closing:
                # The browser's backoff: 0.5 s doubling to 30 s, ±20 % jitter.
                await asyncio.sleep(min(30.0, 0.5 * 2**attempt) * random.uniform(0.8, 1.2))
                attempt += 1
                try:
                    await self._open_socket()
                except (OSError, TimeoutError, websockets.WebSocketException):
                    self.stats.reconnect_failures += 1
                    continue
                self.stats.reconnects += 1
                attempt = 0
                break

    async def _in_step(self) -> None:
        """A sync was answered: the socket is in step; send what waited for it."""
        self._sync_sent = None
        self.synced.set()
        if self.revision is not None and self.revision < self._known:
            await self.sync("short")  # learned of a newer revision while waiting
        if not self._online:
            self._online = True
            for batch_id, (_, ops) in list(self.pending.items()):
                await self._send({"type": "ops", "batch_id": batch_id, "ops": ops})

    async def _resend(self, batch_id: str) -> None:
        if batch_id in self.pending and self._online:
            await self._send(
                {"type": "ops", "batch_id": batch_id, "ops": self.pending[batch_id][1]}
            )

    async def _handle(self, message: dict[str, Any], now: float) -> None:
        kind = message["type"]
        if kind == "applied":
            self._latency(message["ops"], now)
            await self._batch(message["revision"], message["ops"], now)
        elif kind == "ack":
            sent = self.pending.pop(message["batch_id"], None)
            if sent is not None:
                self.last_ack = now
                if self.record:
                    self.stats.ack_latency.append(now - sent[0])
                await self._batch(message["revision"], sent[1], now)
        elif kind == "catchup":
            for batch in message["batches"]:
                await self._batch(batch["revision"], batch["ops"], now, fill=True)
            if self.revision is None or self.revision < message["revision"]:
                self._advance_to(message["revision"], now)
            await self._in_step()
        elif kind == "snapshot":
            self._parts.extend(message["items"])
            if message.get("final", True):
                self.stats.snapshots += 1
                self.items = {item["id"]: item for item in self._parts}
                self._parts = []
                self.ahead = {r: ops for r, ops in self.ahead.items() if r > message["revision"]}
                if self.revision != message["revision"]:
                    self.reached_at = now
                self.revision = message["revision"]
                self._drain(now)
                await self._in_step()
        elif kind == "pong":
            self._ping_out = False
            server = message.get("revision")
            if isinstance(server, int) and self.revision is not None:
                self._known = max(self._known, server)
                if server > self.revision:
                    await self.sync("pong")
        elif kind == "error":
            code = message.get("code", "?")
            self.stats.errors[code] = self.stats.errors.get(code, 0) + 1
            batch_id = message.get("batch_id") or ""
            if code != "rate_limited":
                self.pending.pop(batch_id, None)  # refused: nothing was committed
            elif batch_id in self.pending:  # dropped unapplied: the browser resends after 1 s
                asyncio.get_running_loop().call_later(
                    1.0, lambda: asyncio.ensure_future(self._resend(batch_id))
                )

    def _latency(self, ops: list[dict[str, Any]], now: float) -> None:
        if not self.record:
            return
        for op in ops:
            props = op.get("set", op.get("item", {})).get("props")
            if isinstance(props, dict) and isinstance(props.get("t"), float):
                self.stats.delivery_latency.append(now - props["t"])

    async def _batch(self, revision: int, ops: list, now: float, fill: bool = False) -> None:
        if self.revision is None or revision <= self.revision:
            return  # before the first sync (the reply covers it) or already applied
        self.stats.received += 1
        self.ahead.setdefault(revision, ops)
        self._known = max(self._known, revision)
        if revision > self.revision + 1 and not fill:
            await self.sync("gap")
        self._drain(now)

    def _drain(self, now: float) -> None:
        assert self.revision is not None
        while self.revision + 1 in self.ahead:
            self.revision += 1
            apply_ops(self.items, self.ahead.pop(self.revision), self.revision)
            self.reached_at = now

    def _advance_to(self, revision: int, now: float) -> None:
        # A catch-up names the board's revision: anything up to it that carried no batch
        # for us is complete by definition.
        self.revision = revision
        self.reached_at = now
        self.ahead = {r: ops for r, ops in self.ahead.items() if r > revision}
        self._drain(now)

    # --- the client-side rules ----------------------------------------------------------

    def _ping_due(self, now: float) -> bool:
        """Ping 1 s (or twice the usual gap) after the last message, then after 2, 4, 8 …
        times that, at most every 25 s: a quiet board costs the browser's keep-alive, not a
        ping a second. A ``pong`` does not restart the sequence (it only says the client is
        in step)."""
        quiet = max(SILENCE_PING_S, 2 * self._cadence)
        gap = min(PING_EVERY_S, quiet * 2**self._silent_pings)
        return now - self._heard > quiet and now - max(self._pinged, self._news) > gap

    async def _rules(self) -> None:
        while True:
            await asyncio.sleep(0.25)
            now = time.time()
            if self._socket is None:
                continue  # reconnecting: the new socket syncs first anyway
            # While messages keep coming the server is working through this socket's queue
            # in order (an answer is on its way): only silence makes the client ask.
            silent = now - self._heard > SILENCE_PING_S
            if self._sync_sent is not None:
                if silent and now - self._sync_sent > SYNC_RETRY_S and self.revision is not None:
                    await self.sync("retry")
                continue
            oldest = min((sent for sent, _ in self.pending.values()), default=now)
            if silent and now - max(oldest, self._unacked_synced) > UNACKED_SYNC_S:
                self._unacked_synced = now  # once per period, not on every tick
                await self.sync("unacked")
            elif (silent and not self._ping_out and self._ping_due(now)) or (
                now - self._pinged > PING_EVERY_S
            ):
                self._pinged, self._ping_out = now, True
                self._silent_pings += 1
                self.stats.pings += 1
                await self._send({"type": "ping"})


class Editor:
    """What one designer's hands do, one operation per batch: 75 % moves of their own
    frames, 10 % moves of anyone's, 7 % restyles (opacity, z, name), 5 % creates, 3 %
    deletes of their own creations (a move while they have fewer than 3). Every edit
    carries ``props.t``."""

    def __init__(self, client: LoadClient, own: list[str], shared: list[str], seed: int):
        self.client = client
        self.own = own
        self.shared = shared
        self.created: list[str] = []
        self.random = random.Random(seed)

    def next_ops(self) -> list[dict[str, Any]]:
        rnd = self.random
        props = {"t": time.time()}
        roll = rnd.random()
        if roll < 0.05:
            item_id = str(uuid.uuid4())  # ids are global: never repeat one across runs
            self.created.append(item_id)
            item = {
                "id": item_id,
                "kind": "frame",
                "x": rnd.uniform(0, 6000),
                "y": rnd.uniform(0, 6000),
                "width": 200.0,
                "height": 150.0,
                "props": props,
            }
            return [{"op": "create", "item": item}]
        if roll < 0.08 and len(self.created) > 2:
            item_id = self.created.pop(rnd.randrange(len(self.created)))
            return [{"op": "delete", "id": item_id}]
        if roll < 0.18 or not self.own:  # someone else's frame too: last writer wins
            item_id = rnd.choice(self.shared)
            changes: dict[str, Any] = {"x": rnd.uniform(0, 6000), "y": rnd.uniform(0, 6000)}
        elif roll < 0.25:
            item_id = rnd.choice(self.own)
            changes = {
                "opacity": round(rnd.uniform(0.3, 1), 2),
                "z": rnd.randrange(1000),
                "name": f"frame {rnd.randrange(1000)}",
            }
        else:
            item_id = rnd.choice(self.own)
            changes = {"x": rnd.uniform(0, 6000), "y": rnd.uniform(0, 6000)}
        return [{"op": "update", "id": item_id, "set": {**changes, "props": props}}]

    async def run(self, start: float, seconds: float, rate: float, presence: float = 0) -> int:
        """Send ``rate`` batches per second from ``start`` for ``seconds`` (open loop: a
        designer does not wait for the server between two drags), and ``presence`` cursor
        messages per second meanwhile (the browser sends one every 60 ms while the mouse
        moves). Returns the batches sent."""
        cursor = asyncio.create_task(self._cursor(start, seconds, presence)) if presence else None
        sent = await self._every(start, seconds, rate, self._edit)
        if cursor is not None:
            await cursor
        return sent

    async def _edit(self) -> None:
        await self.client.send_ops(self.next_ops())

    async def _cursor(self, start: float, seconds: float, rate: float) -> None:
        async def move() -> None:
            if self.client._online:
                x, y = self.random.uniform(0, 6000), self.random.uniform(0, 6000)
                cursor = {"type": "presence", "cursor": {"x": x, "y": y}, "selection": []}
                await self.client._send({**cursor, "hidden": False})
                self.client.stats.presence += 1

        await self._every(start, seconds, rate, move)

    async def _every(self, start: float, seconds: float, rate: float, action) -> int:
        period = 1.0 / rate
        done = 0
        next_at = start + self.random.uniform(0, period)
        while next_at < start + seconds:
            delay = next_at - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            await action()
            done += 1
            next_at += period
        return done
