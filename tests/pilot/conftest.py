"""Fixtures for the pilot tests: a board with a product shot and two anchors, its people
(lead = owner, editor, viewer, stranger), the fake Gemini server (tests/providers), and
``drive`` — the workers' part played in the test's thread, one step at a time."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from canvas.jobs import queue, runner
from canvas.models import AnchorRole
from canvas.pilot import machine
from canvas.pilot.models import PilotRun
from tests import factories
from tests.jobs.conftest import add_image
from tests.providers.fixtures import (  # noqa: F401 - re-exported as fixtures
    gemini_server,
    openai_server,
    providers_fast,
)

ENGINE = "gemini-3-pro-image-preview"


@pytest.fixture(autouse=True)
def _jobs_run_in_the_tests_thread(no_job_heartbeat):
    """``drive`` runs the jobs here, inside the test's transaction (tests/conftest.py)."""


@pytest.fixture
def studio(db, media_root):
    """Board "Shoes" of team "Studio": ``lead`` owns it, ``editor`` and ``viewer`` have
    those roles, ``stranger`` none; a product shot (64×48) and lighting + palette anchors."""
    lead, editor, viewer, stranger = (
        factories.make_user(n) for n in ("lead", "editor", "viewer", "stranger")
    )
    team = factories.make_team("Studio", admin=lead)
    board = factories.make_board(team, "Shoes", owner=lead, editor=editor, viewer=viewer)
    shot = add_image(board, lead, color=(200, 40, 40))
    anchors = []
    for n, role in enumerate((AnchorRole.LIGHTING, AnchorRole.PALETTE)):
        item = add_image(board, lead, x=200 + 100 * n, y=0, color=(190, 50, 45), z=2 + n)
        item.anchor_role, item.name = role, f"{role} reference"
        item.save(update_fields=["anchor_role", "name"])
        anchors.append(item)
    return SimpleNamespace(
        team=team, board=board, shot=shot, anchors=anchors,
        lead=lead, editor=editor, viewer=viewer, stranger=stranger,
    )  # fmt: skip


def run_jobs(limit: int = 1000) -> list[str]:
    """Claim and run queued jobs in this thread until none is claimable; their ends."""
    ends = []
    for _ in range(limit):
        claim = queue.claim_next("pilot-test-worker")
        if claim is None:
            break
        ends.append(runner.execute(claim.job_id, "pilot-test-worker"))
    return ends


@pytest.fixture
def drive():
    """drive(run) → the run once nothing more moves it: jobs run, the run advanced (as the
    upkeep tick would), repeated. Exports and scoring run inline (tests' dispatcher)."""

    def _drive(run: PilotRun, rounds: int = 50) -> PilotRun:
        for _ in range(rounds):
            ran = run_jobs()
            before = PilotRun.objects.filter(pk=run.pk).values_list("version", flat=True).get()
            machine.advance(run.pk)
            after = PilotRun.objects.get(pk=run.pk)
            if after.is_finished or (not ran and after.version == before):
                return after
        return PilotRun.objects.get(pk=run.pk)

    return _drive
