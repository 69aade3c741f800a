"""The one way the aiohttp fakes (ComfyUI, A1111) run: their own event loop on a background
thread, a free loopback port, a clean stop.

A fake provides ``app()`` (its routes) and may provide ``async on_start()`` (runs on the
fake's loop before it serves: create locks and remember the loop there), ``async
on_stop()`` (before the server shuts down: cancel its tasks, close its websockets) and
``release()`` (from the test's thread: let held requests finish so the shutdown does not
wait for them).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from typing import Any, Protocol, TypeVar

from aiohttp import web


class AiohttpFake(Protocol):
    url: str

    def app(self) -> web.Application: ...


F = TypeVar("F", bound=AiohttpFake)


async def _serve(fake: Any, ready: threading.Event, stop: asyncio.Event) -> None:
    if hasattr(fake, "on_start"):
        await fake.on_start()
    runner = web.AppRunner(fake.app(), shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    fake.url = f"http://127.0.0.1:{port}"
    ready.set()
    await stop.wait()
    if hasattr(fake, "on_stop"):
        await fake.on_stop()
    await runner.cleanup()


@contextlib.contextmanager
def serving(fake: F, name: str) -> Iterator[F]:
    """Run ``fake`` until the block ends; ``fake.url`` is set inside it."""
    ready = threading.Event()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    failure: list[BaseException] = []

    def target() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(_serve(fake, ready, stop))
        except BaseException as exc:  # reported to the test's thread below
            failure.append(exc)
            ready.set()
        finally:
            # Whatever a fake left running (a held generation, a websocket handler) ends
            # here, so closing the loop destroys no pending task.
            leftovers = asyncio.all_tasks(loop)
            for task in leftovers:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
            loop.close()

    thread = threading.Thread(target=target, name=f"fake-{name}", daemon=True)
    thread.start()
    if not ready.wait(10) or failure:
        raise RuntimeError(f"fake {name} did not start") from (failure[0] if failure else None)
    try:
        yield fake
    finally:
        if hasattr(fake, "release"):
            fake.release()
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
