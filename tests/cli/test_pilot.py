"""``anchorboard pilot run|show|cancel`` in a subprocess against a live test server: a run
started with the given N, C and burst, shown with its tests, refused with the API's
sentence on a bad setting, cancelled."""

from __future__ import annotations

import json

import pytest

from canvas.models import ApiToken
from canvas.pilot.models import PilotRun
from tests.pilot.conftest import studio  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_pilot_run_show_and_cancel(live_server, cli, studio):  # noqa: F811
    _, token = ApiToken.issue(studio.lead, name="cli")
    assert cli("login", "--server", live_server.url, "--token", token).returncode == 0
    board = str(studio.board.pk)

    refused = cli("pilot", "run", "--board", board, "--engine", "local", "--jobs", "0")
    assert refused.returncode == 1
    assert "invalid_pilot" in refused.stderr and "jobs" in refused.stderr

    started = cli(
        "pilot", "run", "--board", board, "--engine", "local",
        "--jobs", "3", "--concurrency", "2", "--burst", "--json",
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    run_id = json.loads(started.stdout)["id"]
    run = PilotRun.objects.get(pk=run_id)
    assert run.settings["jobs"] == 3 and run.settings["concurrency"] == 2
    assert run.settings["burst"] is True and run.created_by == studio.lead

    shown = cli("pilot", "show", run_id)
    assert shown.returncode == 0, shown.stderr
    assert f"{run_id}  local on Shoes" in shown.stdout
    for name in ("consistency", "latency", "export"):
        assert f"  {name}: " in shown.stdout

    cancelled = cli("pilot", "cancel", run_id)
    assert cancelled.returncode == 0, cancelled.stderr
    assert "cancelled: ideation" in cancelled.stdout
    assert PilotRun.objects.get(pk=run_id).state == "cancelled"
    again = cli("pilot", "cancel", run_id)
    assert again.returncode == 1 and "pilot_finished" in again.stderr
