"""Promote to upscale (review) on a board with a brand kit: the upscale passes the kit like
every job — its locks apply and its results' provenance names the kit version."""

from __future__ import annotations

import pytest
from django.test import Client

from canvas.governance.kits import services
from canvas.governance.kits.enforcement import KitLocked, KitVariableMissing
from canvas.jobs import queue, runner
from canvas.models import Iteration, Job, JobMode
from canvas.permissions import Principal
from canvas.review import decisions, promotion
from tests.governance.kits.conftest import add_petal
from tests.jobs import engines as test_engines
from tests.review.conftest import make_candidate

LOCKED = {
    "engine": "test-echo",
    "negative_prompt": "text, watermark",
    "prompt_template": "{product} in {season} light",
    "settings": {"scale": 4, "params": {"detail": 2}},
    "locks": ["engine", "scale", "params", "negative_prompt", "prompt"],
}


def rated(kit_team, engine="local", variables=None):
    """A candidate made by ``engine`` (with the kit's variables), rated 5."""
    admin = kit_team.people["admin"]
    candidate = make_candidate(kit_team.board, admin)
    job = candidate.job
    job.engine = engine
    job.spec = {**job.spec, "variables": variables or {"product": "a shoe", "season": "May"}}
    job.save(update_fields=["engine", "spec"])
    decisions.set_decision(candidate, Principal(user=admin), rating=5)
    return candidate


def kit_board(kit_team, **content):
    kit = services.create_kit(kit_team.team, kit_team.people["kit_manager"], "Spring", content)
    services.set_board_kit(kit_team.board, kit)
    return kit


@pytest.fixture(autouse=True)
def _released():
    test_engines.GATE.set()
    yield


def test_a_promoted_upscale_carries_the_kits_locks_and_provenance(kit_team):
    kit = kit_board(kit_team, **LOCKED)
    ref, _ = add_petal(kit_team, kit)
    candidate = rated(kit_team)  # made by "local", before the kit locked test-echo
    client = Client()
    client.force_login(kit_team.people["editor"])
    response = client.post(
        f"/api/v1/boards/{kit_team.board.pk}/promote", {}, content_type="application/json"
    )
    assert response.status_code == 201, response.json()
    job = Job.objects.get(mode=JobMode.UPSCALE)
    spec = job.spec
    assert (job.engine, spec["engine"], spec["scale"]) == ("test-echo", "test-echo", 4)
    assert spec["negative_prompt"] == "text, watermark"
    assert spec["prompt"] == "a shoe in May light"
    assert spec["params"] == {"detail": 2}
    assert [(a["kit_reference"], a["role"]) for a in spec["anchors"]] == [(str(ref.pk), "palette")]
    assert spec["promoted_from"] == str(candidate.pk)
    version = services.latest_version(kit)
    assert spec["brand_kit"] == {
        "id": str(kit.pk),
        "version": version.number,
        "version_id": str(version.pk),
        "name": "Spring",
    }
    assert response.json()["promoted"][0]["job"]["spec"]["brand_kit"]["version"] == 2
    # The result of the upscale names the kit version in its provenance.
    claim = queue.claim_next("w1")
    assert claim is not None
    runner.execute(claim.job_id, "w1")
    result = Iteration.objects.get(job=job)
    assert result.provenance["brand_kit"] == spec["brand_kit"]
    assert result.provenance["negative_prompt"] == "text, watermark"


def test_a_factor_the_kit_locks_is_refused_whole(kit_team):
    kit_board(kit_team, **LOCKED)
    candidate = rated(kit_team)
    with pytest.raises(KitLocked, match="locks the upscale factor to 4"):
        promotion.promote(kit_team.board, kit_team.people["admin"], scale=2)
    assert not Job.objects.filter(mode=JobMode.UPSCALE).exists()
    candidate.decision.refresh_from_db()
    assert candidate.decision.tier != "upres"


def test_an_unlocked_kit_engine_leaves_the_candidates_and_fills_defaults(kit_team):
    kit_board(kit_team, engine="test-echo", settings={"scale": 4}, negative_prompt="blur")
    rated(kit_team, engine="local")
    [(_candidate, job)] = promotion.promote(kit_team.board, kit_team.people["admin"])
    assert (job.engine, job.spec["scale"], job.spec["negative_prompt"]) == ("local", 4, "blur")
    assert job.spec["brand_kit"]["name"] == "Spring"


def test_a_board_without_a_kit_promotes_as_before(kit_team):
    rated(kit_team, engine="local")
    [(_candidate, job)] = promotion.promote(kit_team.board, kit_team.people["admin"])
    assert (job.engine, job.spec["scale"], job.spec["negative_prompt"]) == ("local", 2, "")
    assert "brand_kit" not in job.spec


def spec_of(candidate, **fields):
    """Give the candidate's job these spec fields (what it recorded when it ran)."""
    job = candidate.job
    job.spec = {**job.spec, **fields}
    job.save(update_fields=["spec"])
    return candidate


def test_a_candidate_without_the_kits_variables_is_upscaled_with_its_own_prompt(kit_team):
    kit_board(kit_team, **LOCKED)  # "{product} in {season} light", locked
    candidate = spec_of(rated(kit_team, variables={"product": "a shoe"}), prompt="a shoe at dusk")
    [(_candidate, job)] = promotion.promote(kit_team.board, kit_team.people["admin"])
    # {season} is unknown: the prompt the image was made with, not a refusal.
    assert job.spec["prompt"] == "a shoe at dusk"
    assert job.spec["prompt_from"] == str(candidate.pk)
    assert job.spec["brand_kit"]["name"] == "Spring"  # the kit's other locks still apply
    assert job.spec["negative_prompt"] == "text, watermark"


def test_a_candidate_with_neither_variables_nor_a_prompt_is_refused_naming_the_variable(
    kit_team,
):
    kit_board(kit_team, **LOCKED)
    candidate = spec_of(rated(kit_team, variables={"product": "a shoe"}), prompt="")
    candidate.provenance = {**candidate.provenance, "prompt": ""}
    candidate.save(update_fields=["provenance"])
    with pytest.raises(KitVariableMissing) as refused:
        promotion.promote(kit_team.board, kit_team.people["admin"])
    assert "needs {season} for the brand kit “Spring”'s prompt template" in refused.value.message
    assert candidate.asset.filename in refused.value.message
    assert not Job.objects.filter(mode=JobMode.UPSCALE).exists()


def test_prompt_in_the_template_is_the_candidates_own_words(kit_team):
    from tests.jobs.conftest import REGION, add_image

    board, admin = kit_team.board, kit_team.people["admin"]
    kit_board(kit_team, prompt_template="{prompt}, studio light", locks=["prompt"])
    add_image(board, admin)
    made = queue.submit_job(
        board,
        admin,
        {"mode": "img2img", "engine": "test-echo", "region": REGION, "prompt": "a red shoe"},
    )
    assert (made.spec["prompt"], made.spec["own_prompt"]) == (
        "a red shoe, studio light",
        "a red shoe",
    )
    runner.execute(queue.claim_next("w1").job_id, "w1")
    candidate = Iteration.objects.get(job=made)
    decisions.set_decision(candidate, Principal(user=admin), rating=5)
    [(_candidate, job)] = promotion.promote(board, admin)
    # Not "studio light" alone (the upscale's own, empty, words), nor the template twice.
    assert job.spec["prompt"] == "a red shoe, studio light"
    assert "prompt_from" not in job.spec


def test_prompt_of_a_candidate_made_without_the_kit_fills_the_template(kit_team):
    kit_board(kit_team, prompt_template="{prompt}, studio light", locks=["prompt"])
    spec_of(rated(kit_team, variables={}), prompt="misty cliffs")  # no brand_kit: own words
    [(_candidate, job)] = promotion.promote(kit_team.board, kit_team.people["admin"])
    assert job.spec["prompt"] == "misty cliffs, studio light"


def test_a_templated_candidate_recorded_without_its_words_keeps_its_prompt(kit_team):
    kit_board(kit_team, prompt_template="{prompt}, studio light", locks=["prompt"])
    # Made through a kit before own_prompt was recorded: its words cannot be told apart.
    spec_of(
        rated(kit_team, variables={}),
        prompt="misty cliffs, studio light",
        brand_kit={"id": "k", "version": 1, "version_id": "v", "name": "Spring"},
    )
    [(_candidate, job)] = promotion.promote(kit_team.board, kit_team.people["admin"])
    assert job.spec["prompt"] == "misty cliffs, studio light"
