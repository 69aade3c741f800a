"""One blocking A1111 call on a helper thread, with progress polling on the caller's.

A1111's ``/sdapi/v1/img2img`` answers only when the whole batch is done, so the POST runs
on a helper thread while the worker's thread polls ``GET /sdapi/v1/progress`` (progress,
ETA, live preview), watches ``progress.cancelled()`` and the time limit, and sends ``POST
/sdapi/v1/interrupt`` when it gives up. Only the caller's thread touches the reporter.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Any

import httpx

from canvas.engines.base import (
    EngineError,
    JobCancelled,
    ProgressReporter,
    TransientEngineError,
    preview_of,
)
from canvas.engines.providers import http, resilience
from canvas.engines.providers.a1111.answers import body_of, busy_with, decoded
from canvas.engines.providers.a1111.config import A1111Config

logger = logging.getLogger(__name__)


def basic_auth(config: A1111Config) -> httpx.BasicAuth | None:
    """``--api-auth user:password`` as HTTP Basic, when configured."""
    if not config.auth or ":" not in config.auth:
        return None
    user, _, password = config.auth.partition(":")
    return httpx.BasicAuth(user, password)


def client_for(config: A1111Config, read_timeout: float) -> httpx.Client:
    return http.sync_client(
        config.url, read=read_timeout, connect=config.connect_timeout, auth=basic_auth(config)
    )


class A1111Call:
    def __init__(self, config: A1111Config, path: str, body: dict[str, Any]) -> None:
        self.config = config
        self.path = path
        self.body = body

    def run(self, progress: ProgressReporter) -> dict[str, Any]:
        """POST ``body`` to ``path``; the answer's JSON, or the contract's error."""
        box: dict[str, Any] = {}
        done = threading.Event()

        # The caller's loop enforces the time limit (and interrupts A1111 when it passes);
        # the POST's own read timeout is only a safety net behind it, longer than the limit
        # plus one slow /progress poll, so it cannot win the race and skip the interrupt.
        safety_net = self.config.time_limit + self.config.connect_timeout + 10

        def target() -> None:
            try:
                with client_for(self.config, safety_net) as client:
                    box["response"] = client.post(self.path, json=self.body)
            except httpx.HTTPError as exc:
                box["error"] = exc
            finally:
                done.set()

        with client_for(self.config, self.config.connect_timeout + 5) as poller:
            # A1111 runs one job at a time. If another job is running when we submit,
            # /progress describes that job until it ends: remember it and show none of it.
            foreign = busy_with(self._poll(poller))
            thread = threading.Thread(target=target, name="a1111-call", daemon=True)
            thread.start()
            deadline = time.monotonic() + self.config.time_limit
            last_preview = None
            next_poll = time.monotonic() + self.config.poll_interval
            try:
                while not done.wait(self.config.cancel_check_interval):
                    if progress.cancelled():
                        raise JobCancelled()
                    if time.monotonic() > deadline:
                        raise TransientEngineError(
                            f"A1111 did not finish within {self.config.time_limit:.0f} seconds; "
                            "the server may be busy. The job will be retried.",
                            code="provider_timeout",
                        )
                    if time.monotonic() < next_poll:
                        continue
                    next_poll = time.monotonic() + self.config.poll_interval
                    state = self._poll(poller)
                    if state is None:
                        continue
                    if foreign is not None and busy_with(state) == foreign:
                        progress.step(0, 100, "Waiting for the A1111 server to finish another job")
                        continue
                    foreign = None
                    last_preview = self._report(state, progress, last_preview)
            except BaseException:
                # Cancelled, timed out, or the reporter failed (the job's lease was lost):
                # stop the generation so the GPU is not busy for nobody. Interrupt is global
                # in A1111: while another job still runs ahead of ours, it would stop that
                # job instead, so ours is left to run and its result is dropped.
                if not done.is_set() and foreign is None:
                    self._interrupt(poller)
                raise
            thread.join()
            if isinstance(box.get("error"), httpx.TimeoutException) and foreign is None:
                self._interrupt(poller)  # gave up waiting: free the GPU all the same
        if "error" in box:
            raise resilience.network_failure(
                box["error"],
                f"A1111 at {self.config.url}",
                waited=self.config.time_limit,
                hint="; check that it is running with --api",
                dropped_code="provider_connection_lost",
            )
        return body_of(box["response"])

    def _report(
        self, state: dict[str, Any], progress: ProgressReporter, last_preview: str | None
    ) -> str | None:
        """Progress, ETA and a new live preview from one ``/progress`` answer."""
        fraction = state.get("progress")
        if isinstance(fraction, int | float) and fraction > 0:
            eta = state.get("eta_relative")
            message = "Generating"
            if isinstance(eta, int | float) and eta > 0:
                message = f"Generating, about {eta:.0f} s left"
            progress.step(min(99, int(fraction * 100)), 100, message)
        preview = state.get("current_image")
        if self.config.previews and isinstance(preview, str) and preview != last_preview:
            # A broken preview is not worth failing the job.
            with contextlib.suppress(EngineError):
                progress.preview(preview_of(decoded(preview)))
            return preview
        return last_preview

    def _poll(self, client: httpx.Client) -> dict[str, Any] | None:
        try:
            response = client.get("/sdapi/v1/progress", params={"skip_current_image": "false"})
        except httpx.HTTPError:
            return None  # progress is a nicety; the main call reports real failures
        return http.json_body(response) if response.status_code == 200 else None

    def _interrupt(self, client: httpx.Client) -> None:
        try:
            client.post("/sdapi/v1/interrupt")
        except httpx.HTTPError as exc:
            logger.warning("Could not interrupt A1111 at %s: %s", self.config.url, exc)
