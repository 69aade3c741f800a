"""Fixtures for the export tests: a board with two images and a frame, its people, and a
kind whose writer the tests control (``FakeKind``, registered for the test only).

The fake stands in for the writers of assets/exports in tests of the delivery (API, run,
recovery, downloads, webhook); the writers have their own tests (tests/assets/).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import pytest

from canvas.exports import kinds
from canvas.exports.kinds import InvalidExport, Written
from canvas.models import Item, ItemKind, Role
from tests import factories
from tests.jobs.conftest import add_image

FAKE = "pdf"  # the kind name the fake takes over during a test


@dataclass
class FakeKind:
    """Writes ``size`` bytes (a repeating pattern) in ``steps`` chunks, reporting progress
    after each; ``fail`` raises it from ``write``; ``gate`` blocks in the middle until set."""

    name: str = FAKE
    size: int = 3 * 1024 * 1024 + 17
    steps: int = 4
    fail: Exception | None = None
    gate: threading.Event | None = None
    during: Any = None  # called with the export half-way through, before the next chunk
    started: threading.Event = field(default_factory=threading.Event)
    calls: list[str] = field(default_factory=list)

    def check(self, board: Any, selection: dict[str, Any], options: dict[str, Any]) -> None:
        if options.get("refuse"):
            raise InvalidExport("The fake kind refuses this on purpose.")

    def write(self, export: Any, out: Any, progress: Any) -> Written:
        self.calls.append(str(export.pk))
        self.started.set()
        pattern = bytes(range(256))
        chunk = self.size // self.steps
        written = 0
        for step in range(self.steps):
            if self.gate is not None and step == self.steps // 2:
                self.gate.wait(30)
            if self.during is not None and step == self.steps // 2:
                self.during(export)
            if self.fail is not None:
                raise self.fail
            amount = chunk if step < self.steps - 1 else self.size - written
            data = (pattern * (amount // 256 + 1))[:amount]
            out.write(data)
            written += amount
            progress((step + 1) / self.steps, f"Wrote part {step + 1} of {self.steps}")
        return Written(file_name=f"board-{str(export.pk)[:8]}.pdf", mime_type="application/pdf")


def expected_bytes(size: int) -> bytes:
    pattern = bytes(range(256))
    kind = FakeKind(size=size)
    out = b""
    chunk = size // kind.steps
    for step in range(kind.steps):
        amount = chunk if step < kind.steps - 1 else size - len(out)
        out += (pattern * (amount // 256 + 1))[:amount]
    return out


@pytest.fixture(autouse=True)
def _isolated(media_root, settings, no_job_heartbeat):
    # Leases and recovery are driven by hand here (test_runs.py), hence no heartbeat.
    settings.ANCHORBOARD_JOB_PROGRESS_INTERVAL = 0.0
    settings.ANCHORBOARD_JOB_MAX_ATTEMPTS = 2


@pytest.fixture
def fake_kind(monkeypatch) -> FakeKind:
    kind = FakeKind()
    monkeypatch.setitem(kinds._KINDS, FAKE, kind)
    yield kind
    if kind.gate is not None:
        kind.gate.set()


@pytest.fixture
def owner(db):
    return factories.make_user("owner")


@pytest.fixture
def viewer(db):
    return factories.make_user("viewer")


@pytest.fixture
def board(owner, viewer):
    team = factories.make_team("Studio", admin=owner)
    return factories.make_board(team, "Campaign", owner=owner, viewer=viewer)


@pytest.fixture
def images(board, owner) -> list[Item]:
    return [
        add_image(board, owner, x=0, y=0, color=(200, 40, 40)),
        add_image(board, owner, x=100, y=0, color=(40, 200, 40), z=2),
    ]


@pytest.fixture
def frame(board, owner) -> Item:
    return Item.objects.create(
        board=board, kind=ItemKind.FRAME, name="Hero shot", x=0, y=0, width=200, height=100
    )


def client_for(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


__all__ = ["FakeKind", "Role", "client_for", "expected_bytes"]
