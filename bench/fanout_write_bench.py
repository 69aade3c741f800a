"""What writing one board event to N websockets costs the server's event loop, per socket.

Fan-out hands every event of a board to every socket of the process on the one event-loop
thread, so the per-socket cost of a write, times N, is how late the last socket gets it.
This measures only that write, on Twisted's asyncio reactor as Daphne runs it, over N real
TCP connections whose other ends a child process reads and discards:

- ``daphne serverSend``: what a ``websocket.send`` came down to (UTF-8 encode, autobahn's
  framing and checks, its debug strings, Twisted's buffered ``write``);
- ``quiet serverSend``: the same with anchorboard.daphne_websocket.QuietWebSocketProtocol;
- ``frame writer``: a frame built once (foundation.websocket_frames) and written by
  ``FrameWriter`` (straight to the socket when nothing is queued there).

Channels' consumer ``send`` and Daphne's ``handle_reply`` coroutines, which the old path
also went through per socket, are not included. CPU is the process's CPU time (less
sensitive to a shared machine than wall time, which is printed too).

    .venv/bin/python bench/fanout_write_bench.py [N]      # default 1000
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from twisted.internet import asyncioreactor

LOOP = asyncio.new_event_loop()
asyncio.set_event_loop(LOOP)
asyncioreactor.install(LOOP)

from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol  # noqa: E402
from twisted.internet import protocol, reactor  # noqa: E402

from anchorboard.daphne_websocket import FrameWriter, QuietWebSocketProtocol  # noqa: E402
from foundation.websocket_frames import text_frame  # noqa: E402

ROUNDS = 40
OP = '{"op":"update","id":"0f6c5d0e-5a8b-4f7c-9f59-3f0c4d9a2e11","set":{"x":12}}'
TEXT = '{"type":"applied","revision":7,"ops":[' + ",".join([OP] * 3) + "]}"
READER = """
import selectors, socket, sys
sel = selectors.DefaultSelector()
for _ in range({n}):
    s = socket.create_connection(("127.0.0.1", {port}))
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
while True:
    for key, _ in sel.select():
        try:
            if not key.fileobj.recv(65536):
                sys.exit(0)
        except BlockingIOError:
            pass
"""


class Accepted(protocol.Protocol):
    connections: list[Accepted] = []

    def connectionMade(self) -> None:
        Accepted.connections.append(self)


def websocket(cls: type, transport) -> WebSocketProtocol:
    """An open server-side websocket connection of ``cls`` on ``transport``."""
    factory = WebSocketFactory(server_class=None)
    factory.protocol = cls
    factory.setProtocolOptions(openHandshakeTimeout=0, maxMessagePayloadSize=1 << 20)
    connection = factory.buildProtocol(None)
    connection.makeConnection(transport)
    connection.state = connection.STATE_OPEN
    connection.client_addr = None
    return connection


def flushed() -> bool:
    return not any(
        c.transport.dataBuffer or c.transport._tempDataBuffer for c in Accepted.connections
    )


async def measure(n: int) -> None:
    while len(Accepted.connections) < n:
        await asyncio.sleep(0.05)
    transports = [c.transport for c in Accepted.connections]
    loud = [websocket(WebSocketProtocol, t) for t in transports]
    quiet = [websocket(QuietWebSocketProtocol, t) for t in transports]
    writers = [FrameWriter(c) for c in quiet]
    payload = TEXT.encode()
    frame = text_frame(payload)
    paths = {
        "daphne serverSend": lambda: [c.serverSend(TEXT) for c in loud],
        "quiet serverSend": lambda: [c.serverSend(TEXT) for c in quiet],
        "frame writer": lambda: [w(frame, len(payload)) for w in writers],
    }
    print(f"{n} sockets, {len(payload)} byte message, {ROUNDS} events per path (twice)")
    for name in [*paths, *paths]:
        cpu = wall = 0.0
        for _ in range(ROUNDS):
            started, cpu_started = time.perf_counter(), time.process_time()
            paths[name]()
            while not flushed():  # until Twisted has sent every buffered write too
                await asyncio.sleep(0)
            wall += time.perf_counter() - started
            cpu += time.process_time() - cpu_started
            await asyncio.sleep(0.02)
        print(
            f"  {name:18s} {wall / ROUNDS * 1e3:7.1f} ms wall, {cpu / ROUNDS * 1e3:6.1f} ms CPU "
            f"per event = {cpu / ROUNDS / n * 1e6:5.1f} µs CPU per socket",
            flush=True,
        )
    reactor.stop()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    port = reactor.listenTCP(0, protocol.Factory.forProtocol(Accepted), 4096, "127.0.0.1")
    code = READER.format(n=n, port=port.getHost().port)
    reader = subprocess.Popen([sys.executable, "-c", code])
    print(f"load average: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    reactor.callWhenRunning(lambda: asyncio.ensure_future(measure(n)))
    try:
        reactor.run()
    finally:
        reader.kill()
        reader.wait()
    print(f"load average: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")


if __name__ == "__main__":
    main()
