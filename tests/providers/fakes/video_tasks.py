"""What the fake video services (ModelArk's task API, Veo's operations) share: tasks that
advance one step per poll, and signed download links that can expire.

A task is created with an outcome (``ok``, ``fail``, ``sensitive``, ``filtered``) and a
number of polls before it ends; each poll of a finished, successful task signs a fresh
download token. ``expire_links`` makes that many of the next tokens expired from birth, the
way a signed URL looks when it is fetched too late.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

# A few bytes that start like an MP4 (an ``ftyp`` box); tests that land clips replace it
# with a real encoded file (``clip``).
PLACEHOLDER_CLIP = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 64


@dataclass
class LargeClip:
    """A clip of ``size`` bytes made chunk by chunk as it is sent, never held whole, for
    tests of the download's memory and size cap. ``declare_length`` False sends it chunked
    (no Content-Length), so the cap can only be enforced while counting; ``sent`` is how
    many bytes went out before the client stopped reading."""

    size: int
    declare_length: bool = True
    sent: int = 0

    def chunks(self, chunk: int = 256 * 1024):
        pattern = bytes(range(256)) * (chunk // 256)
        left = self.size
        while left > 0:
            piece = pattern[: min(chunk, left)]
            left -= len(piece)
            yield piece


def send_clip(handler: Any, clip: bytes | LargeClip) -> None:
    """Answer a download with ``clip`` (a ``LargeClip`` streamed, chunked if it says so)."""
    if isinstance(clip, bytes):
        handler.send_response(200)
        handler.send_header("content-type", "video/mp4")
        handler.send_header("content-length", str(len(clip)))
        handler.end_headers()
        handler.wfile.write(clip)
        return
    handler.send_response(200)
    handler.send_header("content-type", "video/mp4")
    if clip.declare_length:
        handler.send_header("content-length", str(clip.size))
    else:
        handler.send_header("transfer-encoding", "chunked")
    handler.end_headers()
    for piece in clip.chunks():
        if clip.declare_length:
            handler.wfile.write(piece)
        else:
            handler.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        clip.sent += len(piece)
    if not clip.declare_length:
        handler.wfile.write(b"0\r\n\r\n")


@dataclass
class Task:
    id: str
    body: Any
    outcome: str = "ok"  # ok | fail | sensitive | filtered
    polls_left: int = 2
    polls: int = 0
    cancelled: bool = False
    detail: str = ""  # the error code a failing task reports

    @property
    def finished(self) -> bool:
        return self.cancelled or self.polls_left <= 0


@dataclass
class TaskBook:
    """Tasks by id and the download tokens signed for them (token → (task id, valid))."""

    prefix: str
    polls_until_done: int = 2
    clip: bytes | LargeClip = PLACEHOLDER_CLIP
    expire_links: int = 0
    tasks: dict[str, Task] = field(default_factory=dict)
    tokens: dict[str, tuple[str, bool]] = field(default_factory=dict)
    downloads: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def create(self, body: Any, outcome: str = "ok", detail: str = "") -> Task:
        with self._lock:
            task = Task(
                f"{self.prefix}{next(self._ids):04d}",
                body,
                outcome,
                self.polls_until_done,
                detail=detail,
            )
            self.tasks[task.id] = task
            return task

    def advance(self, task: Task) -> None:
        """One poll: the task moves one step closer to its end."""
        with self._lock:
            task.polls += 1
            if not task.cancelled:
                task.polls_left -= 1

    def sign(self, task: Task) -> str:
        """A fresh download token for a finished task (expired if scripted so)."""
        with self._lock:
            token = secrets.token_hex(8)
            valid = self.expire_links <= 0
            if not valid:
                self.expire_links -= 1
            self.tokens[token] = (task.id, valid)
            return token

    def fetch(self, token: str) -> bytes | LargeClip | None:
        """The clip for a valid token; None when the token is unknown or expired."""
        with self._lock:
            self.downloads.append(token)
            found = self.tokens.get(token)
            return self.clip if found is not None and found[1] else None
