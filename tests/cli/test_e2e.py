"""The ``anchorboard`` CLI end to end: a subprocess against a live test server (issue 15).

login → boards → batch run --dry-run → batch run → batch status, the token issued like the
API tests' (``ApiToken.issue``); the started batch is checked through the API.
"""

from __future__ import annotations

import json
import stat

import pytest
from django.test import Client

from canvas.models import ApiToken

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_login_boards_batch_run_and_status(live_server, cli, owner, board, tmp_path):
    _, token = ApiToken.issue(owner, name="cli")

    bad = cli("login", "--server", live_server.url, "--token", "ab_wrong")
    assert bad.returncode == 1
    assert "invalid_token" in bad.stderr

    done = cli("login", "--server", live_server.url + "/", "--token", token)
    assert done.returncode == 0, done.stderr
    stored = cli.config_dir / "config.json"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert json.loads(stored.read_text()) == {"server": live_server.url, "token": token}

    listed = cli("boards", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [row["id"] for row in json.loads(listed.stdout)] == [str(board.pk)]

    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "name: Hero variations\n"
        "prompt: a {product} on {background}\n"
        "variables:\n  product: [sneaker, boot]\n  background: [sand]\n"
        "seeds: 2\nseed: 42\nengines: [test-echo]\n"
        "targets:\n  - region: {x: 0, y: 0, width: 32, height: 24}\n"
    )
    preview = cli("batch", "run", str(spec), "--board", str(board.pk), "--dry-run")
    assert preview.returncode == 0, preview.stderr
    assert "Dry run: Hero variations — 4 jobs, 4 accepted, 0 refused (seed 42)" in preview.stdout
    assert "test-echo: 4 jobs, cost unknown" in preview.stdout
    assert "a sneaker on sand" in preview.stdout

    started = cli("batch", "run", str(spec), "--board", str(board.pk), "--json")
    assert started.returncode == 0, started.stderr
    batch_id = json.loads(started.stdout)["batch"]
    api = Client(headers={"Authorization": f"Bearer {token}"})
    listed_batches = api.get(f"/api/v1/boards/{board.pk}/batches").json()["items"]
    assert [(row["id"], row["jobs"]) for row in listed_batches] == [(batch_id, 4)]

    status = cli("batch", "status", batch_id, "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["id"] == batch_id
    assert json.loads(status.stdout)["jobs"] == 4


def test_server_refusals_are_printed_with_their_message(live_server, cli, owner, board, tmp_path):
    _, token = ApiToken.issue(owner, name="cli")
    assert cli("login", "--server", live_server.url, "--token", token).returncode == 0
    spec = tmp_path / "spec.json"
    spec.write_text(
        json.dumps(
            {
                "name": "x",
                "prompt": "a {season} shoe",
                "engines": ["test-echo"],
                "targets": [{"region": {"x": 0, "y": 0, "width": 8, "height": 8}}],
            }
        )
    )

    refused = cli("batch", "run", str(spec), "--board", str(board.pk), "--dry-run")

    assert refused.returncode == 1
    assert "HTTP 400 invalid_batch" in refused.stderr
    assert "{season}" in refused.stderr
