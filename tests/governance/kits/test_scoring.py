"""Drift scoring on a board with a brand kit: the kit's colours and reference images count."""

from __future__ import annotations

import io

import numpy as np
import pytest

from canvas.governance import services as checks
from canvas.governance.kits import services
from tests.governance import images
from tests.governance.conftest import add_asset, png

pytestmark = pytest.mark.django_db


def solid(rgb) -> np.ndarray:
    return np.full((64, 64, 3), rgb, dtype=np.uint8)


def test_kit_colours_and_references_are_the_references(kit_team):
    board, admin = kit_team.board, kit_team.people["admin"]
    kit = services.create_kit(
        kit_team.team, admin, "Spring", {"palette": [{"name": "Petal", "hex": "#E8A0B4"}]}
    )
    services.set_board_kit(board, kit)
    on = add_asset(board, admin, solid((232, 160, 180)), "petal.png")
    off = add_asset(board, admin, solid((20, 60, 200)), "blue.png")
    only_colours = checks.check(board, [on.pk, off.pk])
    scores = {r["asset"]: r["scores"] for r in only_colours["results"]}
    assert set(scores[str(on.pk)]) == {"palette"}
    assert scores[str(on.pk)]["palette"] > 0.95
    assert scores[str(off.pk)]["palette"] < 0.05
    assert only_colours["references"]["brand_kit"] == {"id": str(kit.pk), "version": 1}

    ref, _ = services.add_reference(
        kit, admin, io.BytesIO(png(images.ball(size=96))), "key-light.png", "lighting"
    )
    with_image = checks.check(board, [on.pk])
    assert with_image["references"]["anchors"] == {"lighting": [f"kit:{ref.pk}"]}
    assert with_image["references"]["brand_kit"]["version"] == 2
    assert set(with_image["results"][0]["scores"]) == {"palette", "lighting"}
    # A new kit version is a new reference set: a new fingerprint, old rows kept.
    assert with_image["references"]["fingerprint"] != only_colours["references"]["fingerprint"]


def test_explicit_anchors_leave_the_kit_out(kit_team):
    board, admin = kit_team.board, kit_team.people["admin"]
    kit = services.create_kit(
        kit_team.team, admin, "Spring", {"palette": [{"name": "Petal", "hex": "#E8A0B4"}]}
    )
    services.set_board_kit(board, kit)
    image = add_asset(board, admin, solid((232, 160, 180)))
    anchor = add_asset(board, admin, solid((20, 60, 200)))
    reply = checks.check(board, [image.pk], {"palette": [anchor.pk]})
    assert reply["references"]["brand_kit"] is None
    assert reply["results"][0]["scores"]["palette"] < 0.05


def test_a_board_with_neither_anchors_nor_kit_has_nothing_to_check(kit_team):
    image = add_asset(kit_team.board, kit_team.people["admin"], solid((1, 2, 3)))
    with pytest.raises(checks.NoReferences):
        checks.check(kit_team.board, [image.pk])


def test_results_on_a_kit_board_without_anchors_are_scored_as_they_land(kit_team):
    from canvas.governance.tasks import score_job
    from canvas.jobs import queue, runner
    from canvas.models import ConsistencyScore, Iteration
    from tests.jobs import engines as test_engines
    from tests.jobs.conftest import REGION, add_image

    board, admin = kit_team.board, kit_team.people["admin"]
    add_image(board, admin)
    kit = services.create_kit(
        kit_team.team, admin, "Spring", {"palette": [{"name": "Petal", "hex": "#E8A0B4"}]}
    )
    services.set_board_kit(board, kit)
    test_engines.GATE.set()
    job = queue.submit_job(
        board, admin, {"mode": "img2img", "engine": "test-echo", "region": REGION, "count": 2}
    )
    claim = queue.claim_next("w1")
    runner.execute(claim.job_id, "w1")
    assert score_job(job.pk) == 2
    results = Iteration.objects.filter(job=job)
    rows = ConsistencyScore.objects.filter(asset__in=[r.asset_id for r in results])
    assert sorted(rows.values_list("metric", flat=True)) == ["palette", "palette"]
