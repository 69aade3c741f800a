"""Re-scoring after anchor edits (canvas/governance/rescore.py): an anchor replaced,
re-roled or removed through the board's write path marks the results scored against it
stale and re-scores them in the background, announcing both; passes are coalesced."""

from __future__ import annotations

import pytest
from django.test import TestCase

from canvas.boards.operations import apply_batch
from canvas.governance import readings, rescore, services
from canvas.governance.models import Rescore
from canvas.models import Item
from tests import factories
from tests.governance import images
from tests.governance.conftest import add_asset
from tests.review.conftest import make_drift_job, score_results
from tests.wsclient import create, delete, parse_ops, update

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(db, media_root):
    """A board with the lit-ball anchors and six results (four consistent, one lit from the
    other side, one blue), scored as they landed: (board, owner, results, drifted)."""
    owner = factories.make_user("owner")
    board = factories.make_board(owner=owner)
    ok, bad = make_drift_job(board, owner, consistent=4)
    results = [*ok, *bad.values()]
    with TestCase.captureOnCommitCallbacks(execute=True):
        score_results(board, results)
    return board, owner, results, bad


@pytest.fixture
def sent(monkeypatch):
    """The ``consistency`` messages the board's members are sent, in order."""
    messages: list[dict] = []
    from canvas.review import drift

    def record(board_id, message, guest_messages):
        messages.append(message)

    monkeypatch.setattr(drift, "broadcast_after_commit", record)
    return messages


def anchor(board, role: str) -> Item:
    return Item.objects.get(board=board, anchor_role=role, deleted=False)


def reading(results) -> dict:
    found = readings.consistency_by_asset(it.asset_id for it in results)
    return {it.pk: found[it.asset_id] for it in results}


def edit(board, owner, *ops, run_tasks: bool = True) -> None:
    with TestCase.captureOnCommitCallbacks(execute=run_tasks):
        apply_batch(board.pk, owner, parse_ops(list(ops)))


def test_a_re_roled_anchor_re_scores_the_results_and_says_so(scored, sent):
    board, owner, results, _bad = scored
    assert all("palette" in r["scores"] for r in reading(results).values())
    edit(board, owner, update(str(anchor(board, "palette").pk), anchor_role=""))
    after = reading(results)
    # Scored again against what the anchors are now: no palette anchor, no palette score.
    assert all(set(r["scores"]) == {"lighting", "composition"} for r in after.values())
    assert not any(r["stale"] for r in after.values())
    # The board heard it twice: stale first, then the new scores.
    stale, fresh = sent[0]["results"], sent[-1]["results"]
    assert {r["iteration"] for r in stale} == {str(it.pk) for it in results}
    assert all(r["consistency"]["stale"] for r in stale)
    assert all("palette" in r["consistency"]["scores"] for r in stale)
    assert {r["iteration"] for r in fresh} == {str(it.pk) for it in results}
    assert not any("palette" in r["consistency"]["scores"] for r in fresh)


def test_a_removed_anchor_lifts_its_flags(scored, sent):
    board, owner, results, bad = scored
    assert reading([bad["lighting"]])[bad["lighting"].pk]["flags"][0]["metric"] == "lighting"
    edit(board, owner, delete(str(anchor(board, "lighting").pk)))
    after = reading(results)[bad["lighting"].pk]
    assert "lighting" not in after["scores"]
    assert all(flag["metric"] != "lighting" for flag in after["flags"])


def test_a_replaced_anchor_image_re_scores_against_the_new_one(scored):
    board, owner, results, _bad = scored
    old = anchor(board, "lighting")
    before = services.fingerprint(*services.resolve_references(board, None))
    mirrored = add_asset(board, owner, images.ball(size=128, light=(0.6, -0.5, 0.62)), "new.png")
    edit(
        board,
        owner,
        delete(str(old.pk)),
        create("image", asset=mirrored, anchor_role="lighting", width=64, height=64),
    )
    now = services.fingerprint(*services.resolve_references(board, None))
    assert now != before
    latest = readings.latest_fingerprints(it.asset_id for it in results)
    assert set(latest.values()) == {now}


def test_readings_are_stale_until_the_re_score_runs(scored):
    board, owner, results, _bad = scored
    edit(board, owner, update(str(anchor(board, "palette").pk), anchor_role=""), run_tasks=False)
    assert all(r["stale"] for r in reading(results).values())
    assert rescore.run(board.pk) == 1
    assert not any(r["stale"] for r in reading(results).values())


def test_moving_an_anchor_does_not_re_score(scored):
    board, owner, _results, _bad = scored
    edit(board, owner, update(str(anchor(board, "palette").pk), x=40, y=10, name="Swatch"))
    assert not Rescore.objects.filter(board=board).exists()


def test_several_edits_cost_one_pass(scored, monkeypatch):
    board, owner, results, _bad = scored
    palette, lighting = anchor(board, "palette"), anchor(board, "lighting")
    with TestCase.captureOnCommitCallbacks(execute=False) as tasks:
        apply_batch(board.pk, owner, parse_ops([update(str(palette.pk), anchor_role="")]))
        apply_batch(board.pk, owner, parse_ops([update(str(lighting.pk), anchor_role="")]))
        apply_batch(board.pk, owner, parse_ops([update(str(palette.pk), anchor_role="style")]))
    assert Rescore.objects.get(board=board).requested == 3
    checks = []
    real = services.check
    monkeypatch.setattr(services, "check", lambda b, ids, **kw: checks.append(ids) or real(b, ids))
    assert rescore.run(board.pk) == 1
    assert [len(ids) for ids in checks] == [len(results)]
    # The three scheduled tasks find nothing left to do.
    for task in tasks:
        task()
    assert len(checks) == 1
    row = Rescore.objects.get(board=board)
    assert (row.done, row.running_until) == (3, None)


def test_an_edit_during_a_pass_is_covered_by_one_more_pass_of_what_changed(scored, monkeypatch):
    board, owner, results, _bad = scored
    edit(board, owner, update(str(anchor(board, "palette").pk), anchor_role=""), run_tasks=False)
    monkeypatch.setattr(rescore, "CHUNK", 2)
    checks = []
    real = services.check

    def check(b, ids, **kw):
        if not checks:  # a second edit lands while the first chunk is being scored
            with TestCase.captureOnCommitCallbacks(execute=True):
                apply_batch(b.pk, owner, parse_ops([delete(str(anchor(b, "composition").pk))]))
        checks.append(list(ids))
        return real(b, ids)

    monkeypatch.setattr(services, "check", check)
    # The nested edit's own task found the board busy; this pass noticed the newer request
    # before its next chunk, started over against the new references and finished.
    assert rescore.run(board.pk) == 2
    current = services.fingerprint(*services.resolve_references(board, None))
    assert set(readings.latest_fingerprints(it.asset_id for it in results).values()) == {current}
    # (The first chunk was scored after the edit, against the new references already, so
    # nothing was scored twice.)
    assert sorted(str(i) for ids in checks for i in ids) == sorted(
        str(it.asset_id) for it in results
    )
    row = Rescore.objects.get(board=board)
    assert (row.done, row.requested, row.running_until) == (2, 2, None)


def test_a_crashed_pass_frees_the_board_and_keeps_readings_stale(scored, monkeypatch):
    board, owner, results, _bad = scored
    edit(board, owner, update(str(anchor(board, "palette").pk), anchor_role=""), run_tasks=False)

    def broken(*args, **kwargs):
        raise RuntimeError("decoder exploded")

    monkeypatch.setattr(services, "check", broken)
    from canvas.governance.tasks import rescore_board

    assert rescore_board(str(board.pk)) == 0
    assert Rescore.objects.get(board=board).running_until is None
    assert all(r["stale"] for r in reading(results).values())


def test_results_beyond_one_page_are_re_scored_by_further_passes_and_stay_stale_till_then(
    scored, sent, monkeypatch
):
    board, owner, results, _bad = scored
    monkeypatch.setattr(rescore, "RESCORE_LIMIT", 2)
    monkeypatch.setattr(rescore, "CHUNK", 1)
    dispatched: list[tuple] = []
    monkeypatch.setattr(rescore, "dispatch_now", lambda *args: dispatched.append(args))
    edit(board, owner, update(str(anchor(board, "palette").pk), anchor_role=""), run_tasks=False)
    newest_first = results[::-1]

    # One page per pass: the two most recent results, then the task is dispatched again.
    assert rescore.run(board.pk) == 1
    assert [r["stale"] for r in map(reading(newest_first).get, (it.pk for it in newest_first))] == [
        False, False, True, True, True, True,
    ]  # fmt: skip
    assert dispatched == [(rescore.TASK, str(board.pk), 1)]
    row = Rescore.objects.get(board=board)
    assert (row.done, row.requested, row.running_until) == (0, 1, None)
    # Its stale readings were announced once, in messages of at most a page.
    assert [len(m["results"]) for m in sent[:3]] == [2, 2, 2]
    assert all(r["consistency"]["stale"] for m in sent[:3] for r in m["results"])

    # The continuations take the older pages without announcing them stale again.
    sent.clear()
    while dispatched:
        _task, board_id, announced = dispatched.pop()
        assert rescore.run(board_id, announced) == 1
    assert not any(r["consistency"]["stale"] for m in sent for r in m["results"])
    assert not any(r["stale"] for r in reading(results).values())
    assert all(set(r["scores"]) == {"lighting", "composition"} for r in reading(results).values())
    row = Rescore.objects.get(board=board)
    assert (row.done, row.requested, row.running_until) == (1, 1, None)
