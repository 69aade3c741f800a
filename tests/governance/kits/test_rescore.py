"""A brand kit change that alters what a board scores against (its colours, its reference
images) marks the board's readings stale and re-scores them, like an anchor edit
(canvas.governance.rescore); a change that does not (template, locks) re-scores nothing."""

from __future__ import annotations

import pytest
from django.test import TestCase

from canvas.governance import readings, rescore, services
from canvas.governance.kits import services as kits
from canvas.governance.models import Rescore
from tests.governance.kits.conftest import add_petal
from tests.review.conftest import make_drift_job, score_results

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(kit_team):
    """``kit_team``'s board with the lit-ball anchors and five results scored as they
    landed, no kit yet: (board, admin, results)."""
    board, admin = kit_team.board, kit_team.people["admin"]
    ok, bad = make_drift_job(board, admin, consistent=4, drifted=("palette",))
    results = [*ok, *bad.values()]
    with TestCase.captureOnCommitCallbacks(execute=True):
        score_results(board, results)
    return board, admin, results


def stale(results) -> list[bool]:
    found = readings.consistency_by_asset(it.asset_id for it in results)
    return [found[it.asset_id]["stale"] for it in results]


def current_fingerprint(board) -> str:
    return services.fingerprint(*services.resolve_references(board, None))


def requested(board) -> int:
    row = Rescore.objects.filter(board=board).first()
    return row.requested if row else 0


def red_kit(kit_team, board):
    """A kit of one red, given to ``board`` (its re-score run)."""
    admin = kit_team.people["admin"]
    kit = kits.create_kit(
        kit_team.team, admin, "Spring", {"palette": [{"name": "Red", "hex": "#C82828"}]}
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        kits.set_board_kit(board, kit)
    return kit


def test_giving_a_board_a_kit_re_scores_its_results_against_the_kit(kit_team, scored):
    board, admin, results = scored
    kit = kits.create_kit(
        kit_team.team, admin, "Spring", {"palette": [{"name": "Sky", "hex": "#1E50C8"}]}
    )
    with TestCase.captureOnCommitCallbacks(execute=False):
        kits.set_board_kit(board, kit)
    assert stale(results) == [True] * len(results)
    assert rescore.run(board.pk) == 1
    assert stale(results) == [False] * len(results)
    latest = readings.latest_fingerprints(it.asset_id for it in results)
    assert set(latest.values()) == {current_fingerprint(board)}


def test_a_new_kit_version_with_other_colours_re_scores_the_boards_that_follow_it(kit_team, scored):
    board, admin, results = scored
    kit = red_kit(kit_team, board)
    red = current_fingerprint(board)
    with TestCase.captureOnCommitCallbacks(execute=False) as tasks:
        kits.edit_kit(kit, admin, changes={"palette": [{"name": "Sky", "hex": "#1E50C8"}]})
    assert stale(results) == [True] * len(results)
    assert len(tasks) == 2  # the live brand_kit message and the re-score
    for task in tasks:
        task()
    assert stale(results) == [False] * len(results)
    latest = readings.latest_fingerprints(it.asset_id for it in results)
    assert set(latest.values()) == {current_fingerprint(board)} != {red}


def test_a_kit_reference_image_re_scores_too(kit_team, scored):
    board, admin, results = scored
    kit = kits.create_kit(kit_team.team, admin, "Spring")
    with TestCase.captureOnCommitCallbacks(execute=True):
        kits.set_board_kit(board, kit)
    assert requested(board) == 0  # a kit that gives scoring nothing changes nothing
    with TestCase.captureOnCommitCallbacks(execute=True):
        add_petal(kit_team, kit)
    assert requested(board) == 1
    latest = readings.latest_fingerprints(it.asset_id for it in results)
    assert set(latest.values()) == {current_fingerprint(board)}


def test_template_or_lock_edits_and_pinned_boards_re_score_nothing(kit_team, scored):
    board, admin, results = scored
    kit = red_kit(kit_team, board)
    assert requested(board) == 1
    with TestCase.captureOnCommitCallbacks(execute=True):
        kits.edit_kit(kit, admin, changes={"prompt_template": "{product}", "locks": ["prompt"]})
    assert requested(board) == 1
    assert stale(results) == [False] * len(results)
    # Pinned to version 2: a new palette is not this board's kit.
    with TestCase.captureOnCommitCallbacks(execute=True):
        kits.set_board_kit(board, kit, pin=2)
    assert requested(board) == 1  # same colours as before the pin
    with TestCase.captureOnCommitCallbacks(execute=True):
        kits.edit_kit(kit, admin, changes={"palette": [{"name": "Sky", "hex": "#1E50C8"}]})
    assert requested(board) == 1


def test_deleting_the_kit_re_scores_without_it(kit_team, scored):
    board, _admin, results = scored
    kit = red_kit(kit_team, board)
    with_kit = current_fingerprint(board)
    with TestCase.captureOnCommitCallbacks(execute=True):
        kits.delete_kit(kit)
    assert requested(board) == 2
    latest = readings.latest_fingerprints(it.asset_id for it in results)
    assert set(latest.values()) == {current_fingerprint(board)} != {with_kit}
