"""A board client for the topology tests: HTTP login, REST calls, the board websocket.

It behaves like the browser app does after a dropped connection: reconnect, ``sync`` with
the last revision it applied, then re-read the job list (job messages carry no revision,
so a client that missed some asks for the current state). With ``reread=False`` it only
listens: its job list is built from broadcasts alone, so a test can prove that the server
announced everything. It records everything it receives so tests can assert on what each
client saw. It never decides what is correct.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets


@dataclass
class BoardClient:
    base: str  # http://127.0.0.1:<port>
    board: str
    reread: bool = True  # re-read jobs and results through the API on (re)connect
    http: httpx.AsyncClient = field(init=False)
    revision: int | None = None
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    iterations: dict[str, dict[str, Any]] = field(default_factory=dict)
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> last batch_progress
    running_progress: dict[str, set[float]] = field(default_factory=dict)
    applied_revisions: list[int] = field(default_factory=list)
    connects: int = 0
    closed_codes: list[int | None] = field(default_factory=list)
    _socket: Any = None
    _task: asyncio.Task | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _stopping: bool = False

    def __post_init__(self) -> None:
        self.http = httpx.AsyncClient(base_url=self.base, timeout=30)

    # --- HTTP -----------------------------------------------------------------------------

    async def login(self, username: str, password: str) -> None:
        page = await self.http.get("/login/")
        page.raise_for_status()
        token = self.http.cookies["csrftoken"]
        reply = await self.http.post(
            "/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        )
        assert reply.status_code == 302, (reply.status_code, reply.text[:500])
        assert "sessionid" in self.http.cookies

    async def api(self, method: str, path: str, body: Any = None) -> httpx.Response:
        headers = {"X-CSRFToken": self.http.cookies.get("csrftoken", "")}
        return await self.http.request(method, "/api/v1" + path, json=body, headers=headers)

    async def submit(self, region: dict[str, float], **spec: Any) -> dict[str, Any]:
        body = {"mode": "img2img", "engine": "topology-sleep", "region": region, **spec}
        reply = await self.api("POST", f"/boards/{self.board}/jobs", body)
        assert reply.status_code == 201, reply.text
        return reply.json()

    async def refresh_jobs(self) -> None:
        """Catch up on job state missed while disconnected (jobs are not in the op log)."""
        reply = await self.api("GET", f"/boards/{self.board}/jobs?page_size=200")
        if reply.status_code != 200:
            return
        for job in reply.json()["items"]:
            self._job(job)
        listing = await self.api("GET", f"/boards/{self.board}/iterations?page_size=200")
        if listing.status_code == 200:
            for iteration in listing.json()["items"]:
                self.iterations[iteration["id"]] = iteration
        batches = await self.api("GET", f"/boards/{self.board}/batches?page_size=50")
        if batches.status_code == 200:
            for batch in batches.json()["items"]:
                self.batches[batch["id"]] = batch
        self._changed.set()

    async def file_bytes(self, path: str) -> bytes:
        reply = await self.http.get(path)
        assert reply.status_code == 200, (path, reply.status_code, reply.text[:300])
        return reply.content

    # --- websocket ------------------------------------------------------------------------

    async def open(self) -> None:
        self._task = asyncio.create_task(self._run())
        await self.wait_for(lambda: self.connects > 0 and self.revision is not None, 30, "sync")

    async def _run(self) -> None:
        url = self.base.replace("http://", "ws://") + f"/ws/boards/{self.board}/"
        cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        while not self._stopping:
            try:
                async with websockets.connect(
                    url,
                    additional_headers={"Cookie": cookie, "Origin": self.base},
                    open_timeout=10,
                    ping_interval=None,
                ) as socket:
                    self._socket = socket
                    await socket.send(json.dumps({"type": "sync", "since": self.revision}))
                    first = True
                    async for raw in socket:
                        message = json.loads(raw)
                        self._handle(message)
                        if first and message["type"] in ("catchup", "snapshot"):
                            first = False
                            self.connects += 1
                            if self.reread:
                                await self.refresh_jobs()
                    self.closed_codes.append(socket.close_code)
            except (TimeoutError, OSError, websockets.WebSocketException):
                self.closed_codes.append(None)
            self._socket = None
            if not self._stopping:
                await asyncio.sleep(0.2)  # reconnect backoff, as the browser app does

    def _job(self, job: dict[str, Any]) -> None:
        known = self.jobs.get(job["id"])
        if known is None or known["version"] <= job["version"]:
            self.jobs[job["id"]] = job
        if job["state"] == "running" and 0 < job["progress"] < 1:
            self.running_progress.setdefault(job["id"], set()).add(job["progress"])

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "snapshot":
            self.revision = message["revision"]
        elif kind == "catchup":
            for batch in message["batches"]:
                self.applied_revisions.append(batch["revision"])
            self.revision = message["revision"]
        elif kind in ("applied", "ack"):
            self.applied_revisions.append(message["revision"])
            self.revision = max(self.revision or 0, message["revision"])
        elif kind == "job":
            self._job(message["job"])
        elif kind == "iteration":
            self.iterations[message["iteration"]["id"]] = message["iteration"]
        elif kind == "batch_progress":
            self.batches[message["batch"]["id"]] = message["batch"]
        self._changed.set()

    async def send_ops(self, ops: list[dict[str, Any]]) -> str:
        batch = f"topology-{uuid.uuid4().hex}"
        assert self._socket is not None
        await self._socket.send(json.dumps({"type": "ops", "batch_id": batch, "ops": ops}))
        return batch

    async def ping(self) -> None:
        if self._socket is not None:
            with contextlib.suppress(websockets.WebSocketException):
                await self._socket.send(json.dumps({"type": "ping"}))

    async def wait_for(self, check, timeout: float, what: str) -> None:
        """Wait until ``check()`` holds after some message, failing after ``timeout`` s."""

        async def until() -> None:
            while not check():
                self._changed.clear()
                await self._changed.wait()

        try:
            await asyncio.wait_for(until(), timeout)
        except TimeoutError:
            raise AssertionError(f"{self.base}: timed out waiting for {what}") from None

    def finished(self, job_ids, state: str = "succeeded") -> bool:
        return all(self.jobs.get(j, {}).get("state") == state for j in job_ids)

    async def close(self) -> None:
        self._stopping = True
        if self._socket is not None:
            with contextlib.suppress(Exception):
                await self._socket.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self.http.aclose()
