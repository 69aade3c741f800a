"""The ``anchorboard`` CLI against a live server whose jobs run on real workers.

The server is ``manage.py serve`` in a subprocess (tests/cli/served.py: the embedded worker
pool, two threads; exports on the embedded dispatcher; test engines registered), started
once for this module; the CLI is a subprocess too, and what it did is checked through the
API. Covers ``batch run --follow`` to the end (exit code and summary: a batch that succeeds,
one with failed jobs), ``batch results`` (CSV, table, downloads), ``upload`` and ``export``
(an item as PNG, the batch as a zip).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile

import httpx
import pytest

from tests import factories
from tests.cli import served

pytestmark = pytest.mark.slow

SPEC = (
    "name: Hero variations\n"
    "prompt: a {product} on {background}\n"
    "variables:\n  product: [sneaker, boot]\n  background: [sand]\n"
    "seeds: 2\nseed: 42\nengines: [%s]\n"
    "targets:\n  - region: {x: 0, y: 0, width: 32, height: 24}\n"
)


@pytest.fixture(scope="module")
def server():
    running = served.start()
    yield running
    served.stop(running)


@pytest.fixture
def api(server):
    with httpx.Client(
        base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {server.token}"}
    ) as client:
        yield client


@pytest.fixture
def logged_in(server, cli):
    done = cli("login", "--server", server.url, "--token", server.token)
    assert done.returncode == 0, done.stderr


def test_batch_run_follow_waits_for_the_end_and_says_how_it_went(
    cli, logged_in, server, api, tmp_path
):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC % "test-echo")
    run = cli("batch", "run", str(spec), "--board", server.board, "--follow", "--interval", "0.2")
    assert run.returncode == 0, run.stderr
    batch_id = run.stdout.split("Batch ", 1)[1].split(":", 1)[0]
    batch = api.get(f"/batches/{batch_id}").json()
    assert batch["state"] == "completed" and batch["finished_at"]
    assert f"Batch {batch_id}: Hero variations — 4 jobs, 4 accepted, 0 refused" in run.stdout
    assert (
        f"{batch_id}  Hero variations  completed: 4 succeeded, 0 failed, 0 cancelled, "
        "0 running, 0 queued of 4" in run.stdout
    )

    listed = cli("batch", "results", batch_id, "--format", "csv",
                 "--var", "product:boot", "--download", str(tmp_path / "out"))  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    rows = list(csv.DictReader(io.StringIO(listed.stdout)))
    assert [(r["var:product"], r["var:background"]) for r in rows] == [("boot", "sand")] * 2
    assert {r["decision"] for r in rows} == {"undecided"}
    assert {r["drift"] for r in rows} == {"False"}
    files = sorted((tmp_path / "out").iterdir())
    assert len(files) == 2 and all(f.suffix == ".png" for f in files)
    assert all("_boot_sand_seed-" in f.name for f in files)
    assert all(f.read_bytes().startswith(b"\x89PNG") for f in files)

    table = cli("batch", "results", batch_id)
    assert table.returncode == 0, table.stderr
    assert "4 results" in table.stdout and "sneaker" in table.stdout

    package = cli("export", "--board", server.board, "--kind", "zip", "--batch", batch_id,
                  "--option", "results=all", "-o", str(tmp_path / "batch.zip"))  # fmt: skip
    assert package.returncode == 0, package.stderr
    assert "saved to" in package.stdout
    with zipfile.ZipFile(tmp_path / "batch.zip") as archive:
        names = archive.namelist()
    assert sum(name.endswith(".png") for name in names) == 4 and "manifest.json" in names


def test_a_followed_batch_with_failed_jobs_exits_1(cli, logged_in, server, tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC % "test-echo, test-broken")
    run = cli("batch", "run", str(spec), "--board", server.board, "--follow", "--interval", "0.2")
    assert run.returncode == 1, run.stdout
    assert "completed: 4 succeeded, 4 failed, 0 cancelled, 0 running, 0 queued of 8" in run.stdout


def test_upload_stores_the_files_on_the_board(cli, logged_in, server, api, tmp_path):
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    first.write_bytes(factories.png_bytes((40, 30), (10, 200, 10)))
    second.write_bytes(factories.png_bytes((20, 20), (10, 10, 200)))
    done = cli("upload", str(first), str(second), "--board", server.board, "--json")
    assert done.returncode == 0, done.stderr
    items = json.loads(done.stdout)["items"]
    assert sorted(i["filename"] for i in items) == ["a.png", "b.png"]
    for item in items:
        stored = api.get(f"/assets/{item['id']}")
        assert stored.status_code == 200 and stored.json()["board"] == server.board

    refused = tmp_path / "notes.txt"
    refused.write_text("not an image")
    bad = cli("upload", str(refused), "--board", server.board)
    assert bad.returncode == 1
    assert "unsupported_type" in bad.stderr or "not uploaded" in bad.stderr


def test_export_follows_the_export_and_downloads_the_file(cli, logged_in, server, api, tmp_path):
    out = tmp_path / "exports"
    out.mkdir()
    done = cli("export", "--board", server.board, "--kind", "png", "--item", server.item,
               "--option", "scale=0.5", "-o", str(out), "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    state = json.loads(done.stdout)
    assert state["state"] == "ready" and state["kind"] == "png"
    saved = out / state["file_name"]
    assert state["saved_to"] == str(saved)
    assert saved.read_bytes().startswith(b"\x89PNG") and saved.stat().st_size == state["size"]
    assert api.get(f"/exports/{state['id']}").json()["state"] == "ready"

    refused = cli("export", "--board", server.board, "--kind", "gif", "--item", server.item)
    assert refused.returncode == 1
    assert "HTTP 400 invalid_export" in refused.stderr
    bad_option = cli("export", "--board", server.board, "--kind", "png", "--option", "scale")
    assert bad_option.returncode == 2 and "name=value" in bad_option.stderr
