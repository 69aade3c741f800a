"""One client process of a load run: many board sockets in one asyncio loop.

``python -m tests.load.swarm`` reads its configuration as the first JSON line on stdin and
then speaks JSON lines with the runner (tests/load/runner.py):

1. connects every socket (a bounded number of handshakes at a time), waits for each one's
   first catch-up/snapshot, prints ``{"event": "ready", …}``;
2. on ``{"cmd": "go", "start": t, "seconds": s, "ack_wait": w}`` (``t`` is a
   ``time.time()``, shared by every process on the machine) editors send their batches
   from ``t`` for ``s`` seconds and then wait up to ``w`` seconds for the last ``ack``;
   viewers just receive. Prints ``{"event": "sent", …}`` with the ack latencies;
3. on ``{"cmd": "target", "revision": r, "until": t}`` waits until every socket has
   reached revision ``r`` or ``t`` has passed, prints ``{"event": "report", …}`` (each
   socket's revision, model digest, when it got there, its syncs, errors and closes; the
   delivery latencies; this process's CPU time and event-loop lag) and exits.

The CPU time and loop lag are how a run shows that it measured the server and not the
client: a client process that is busy or late would add its own delay to every timestamp.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from tests.load.client import Editor, LoadClient, canonical


def emit(event: str, **fields: Any) -> None:
    sys.stdout.write(json.dumps({"event": event, **fields}, separators=(",", ":")) + "\n")
    sys.stdout.flush()


async def read_command() -> dict[str, Any]:
    line = await asyncio.to_thread(sys.stdin.readline)
    if not line:
        raise SystemExit("the runner went away")
    return json.loads(line)


async def loop_lag(samples: list[float], every: float = 0.05) -> None:
    """How late this loop wakes up: the delay added to any timestamp taken in it."""
    while True:
        started = time.perf_counter()
        await asyncio.sleep(every)
        samples.append(time.perf_counter() - started - every)


async def connect_all(config: dict[str, Any]) -> tuple[list[LoadClient], list[str], list[float]]:
    gate = asyncio.Semaphore(config.get("connect_concurrency", 50))
    failures: list[str] = []
    durations: list[float] = []

    async def one(cookie: str) -> LoadClient | None:
        client = LoadClient(config["url"], config["board"], cookie, config["origin"])
        async with gate:
            started = time.time()
            try:
                await client.connect()
                await asyncio.wait_for(client.synced.wait(), 120)
            except Exception as exc:
                failures.append(f"{type(exc).__name__}: {exc}"[:200])
                await client.close()
                return None
            durations.append(time.time() - started)
        return client

    clients = await asyncio.gather(*(one(cookie) for cookie in config["cookies"]))
    return [c for c in clients if c is not None], failures, durations


def rounded(values: list[float]) -> list[float]:
    return [round(value, 5) for value in values]


async def main() -> None:
    config = json.loads(sys.stdin.readline())
    clients, failures, durations = await connect_all(config)
    emit("ready", connected=len(clients), failures=failures, connect_s=rounded(durations))

    go = await read_command()
    lag: list[float] = []
    lag_task = asyncio.create_task(loop_lag(lag))
    cpu_started, wall_started = time.process_time(), time.time()
    for client in clients:
        client.record = True
    sent = 0
    if config["role"] == "editor":
        editors = [
            Editor(client, config["own"][index], config["shared"], config["seed"] + index)
            for index, client in enumerate(clients)
        ]
        counts = await asyncio.gather(
            *(
                editor.run(go["start"], go["seconds"], config["rate"], config["presence"])
                for editor in editors
            )
        )
        sent = sum(counts)
        deadline = time.time() + go["ack_wait"]
        while any(client.pending for client in clients) and time.time() < deadline:
            await asyncio.sleep(0.05)
    else:
        await asyncio.sleep(max(0.0, go["start"] + go["seconds"] - time.time()))
    emit(
        "sent",
        sent=sent,
        unacked=sum(len(client.pending) for client in clients),
        last_ack=max((client.last_ack for client in clients), default=0.0),
        ack_latency=rounded([v for client in clients for v in client.stats.ack_latency]),
    )

    target = await read_command()
    while time.time() < target["until"] and any(
        (client.revision or 0) < target["revision"] for client in clients
    ):
        await asyncio.sleep(0.02)
    cpu, wall = time.process_time() - cpu_started, time.time() - wall_started
    lag_task.cancel()
    report = [
        {
            "revision": client.revision,
            "digest": canonical(client.items),
            "reached_at": client.reached_at,
            "received": client.stats.received,
            "syncs": client.stats.syncs,
            "snapshots": client.stats.snapshots,
            "pings": client.stats.pings,
            "presence_sent": client.stats.presence,
            "presence_received": len(client.other.get("presence", [])),
            "errors": client.stats.errors,
            "closes": client.stats.closes,
            "reconnects": client.stats.reconnects,
            "open": client.open,
        }
        for client in clients
    ]
    emit(
        "report",
        clients=report,
        delivery_latency=rounded([v for c in clients for v in c.stats.delivery_latency]),
        cpu_s=cpu,
        wall_s=wall,
        loop_lag=rounded(sorted(lag)),
    )
    await asyncio.gather(*(client.close() for client in clients))


if __name__ == "__main__":
    asyncio.run(main())
