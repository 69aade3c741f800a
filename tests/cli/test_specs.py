"""Batch spec files and the CLI's exit codes without a server (issue 15)."""

from __future__ import annotations

import json

import httpx
import pytest
from typer.testing import CliRunner

from anchorboard.cli import main
from anchorboard.cli.specs import SpecError, load_spec

runner = CliRunner()
ENV = {"ANCHORBOARD_SERVER": "http://ab.test", "ANCHORBOARD_TOKEN": "ab_x"}


def test_yaml_and_json_specs_load_as_mappings(tmp_path):
    (tmp_path / "a.yaml").write_text("name: A\nvariables:\n  product: [boot]\nseeds: 2\n")
    (tmp_path / "b.json").write_text(json.dumps({"name": "B", "seeds": [1, 2]}))
    assert load_spec(tmp_path / "a.yaml") == {
        "name": "A",
        "variables": {"product": ["boot"]},
        "seeds": 2,
    }
    assert load_spec(tmp_path / "b.json") == {"name": "B", "seeds": [1, 2]}


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("bad.yaml", "name: A\nvariables: [unclosed\n", "is not valid YAML (line 3"),
        ("bad.json", '{"name": "A",}', "is not valid JSON (line 1, column 14)"),
        ("list.yaml", "- a\n- b\n", "must hold a mapping of spec fields"),
        ("empty.yaml", "", "it is empty"),
    ],
)
def test_bad_spec_files_are_refused_with_a_sentence(tmp_path, name, text, expected):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert expected in str(caught.value)
    assert str(path) in str(caught.value)


def test_batch_run_with_a_bad_spec_exits_2_before_calling_the_server(tmp_path, monkeypatch):
    path = tmp_path / "bad.yaml"
    path.write_text("prompt: [unclosed\n")
    monkeypatch.setattr(main, "make_client", lambda *a: pytest.fail("no server call"))
    result = runner.invoke(main.app, ["batch", "run", str(path), "--board", "b1"], env=ENV)
    assert result.exit_code == 2
    assert "is not valid YAML" in result.stderr


def test_a_missing_spec_file_exits_2(tmp_path):
    result = runner.invoke(
        main.app, ["batch", "run", str(tmp_path / "nope.yaml"), "--board", "b"], env=ENV
    )
    assert result.exit_code == 2
    assert "Cannot read the spec" in result.stderr


def follow_transport(states):
    """A fake server: POST starts batch b1, each GET /batches/b1 answers the next state."""
    answers = iter(states)

    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(
                201,
                json={
                    "dry_run": False,
                    "batch": "b1",
                    "name": "N",
                    "seed": 1,
                    "jobs": 2,
                    "accepted": 2,
                    "refused": 0,
                },
            )
        return httpx.Response(200, json=next(answers))

    return httpx.MockTransport(handle)


def state(name, succeeded, failed=0, queued=0):
    return {
        "id": "b1",
        "name": "N",
        "state": name,
        "jobs": 2,
        "eta_seconds": None,
        "counts": {
            "queued": queued,
            "running": 0,
            "succeeded": succeeded,
            "failed": failed,
            "cancelled": 0,
        },
    }


@pytest.mark.parametrize(
    ("final", "code"), [(state("completed", 2), 0), (state("completed", 1, failed=1), 1)]
)
def test_follow_polls_until_the_batch_ends_and_exits_by_its_outcome(
    tmp_path, monkeypatch, final, code
):
    transport = follow_transport([state("running", 0, queued=2), final])
    monkeypatch.setattr(main, "make_client", lambda s, t: main.Client(s, t, transport=transport))
    monkeypatch.setattr(main.time, "sleep", lambda seconds: None)
    spec = tmp_path / "s.yaml"
    spec.write_text("name: N\n")
    result = runner.invoke(
        main.app, ["batch", "run", str(spec), "--board", "x", "--follow"], env=ENV
    )
    assert result.exit_code == code, result.output
    assert "completed:" in result.stdout


def test_export_job_asks_for_the_region_history_as_a_psd(monkeypatch):
    """``export --job`` posts ``{"kind": "psd", "job": id}`` (issue 16)."""
    posted: list[dict] = []

    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            posted.append({"path": request.url.path, **json.loads(request.content)})
            return httpx.Response(202, json={"export": "e1"})
        ready = {"id": "e1", "state": "ready", "progress": 1.0, "file_name": "job-j1.psd"}
        return httpx.Response(200, json={**ready, "size": 9, "download_url": None})

    transport = httpx.MockTransport(handle)
    monkeypatch.setattr(main, "make_client", lambda s, t: main.Client(s, t, transport=transport))
    args = ["export", "--board", "b1", "--kind", "psd", "--job", "j1", "--no-download"]
    result = runner.invoke(main.app, args, env=ENV)
    assert result.exit_code == 0, result.output
    assert posted == [
        {"path": "/api/v1/boards/b1/exports", "kind": "psd", "job": "j1", "options": {}}
    ]
    assert "job-j1.psd" in result.stdout
