"""A brand kit's video drift tolerance: versioned with the kit, changed only by people who
manage kits, checked in range, and what a clip made on the kit's board is flagged against
(instead of the global default)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from assets.video.tolerance import DriftTolerance
from canvas.governance.kits import services
from canvas.models import Item, Iteration, Job
from foundation.background import registered
from tests.jobs.conftest import add_image
from tests.jobs.test_video_jobs import VIDEO

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(120)]

# Far tighter than any clip, even the local loop's gentle motion, can stay within.
STRICT = {"palette": 0.5, "anchor": 0.5, "flicker": 0.1, "structure": 0.01, "warp": 0.5}


def as_(kit_team, name) -> Client:
    client = Client()
    client.force_login(kit_team.people[name])
    return client


def patch(client, kit, body):
    return client.patch(
        f"/api/v1/brand-kits/{kit.pk}", json.dumps(body), content_type="application/json"
    )


@pytest.fixture
def kit(kit_team):
    return services.create_kit(kit_team.team, kit_team.people["admin"], "Motion", {})


def test_the_tolerance_is_versioned_with_the_kit_and_defaults_to_the_global_one(kit_team, kit):
    first = kit.versions.get(number=1).content["video_drift"]
    assert first == DriftTolerance().as_dict()
    reply = patch(as_(kit_team, "kit_manager"), kit, {"video_drift": {**first, "flicker": 0.8}})
    assert reply.status_code == 200, reply.json()
    version = reply.json()["version"]
    assert version["number"] == 2 and version["content"]["video_drift"]["flicker"] == 0.8
    # Version 1 still says what it said: results made with it keep their judge.
    assert kit.versions.get(number=1).content["video_drift"]["flicker"] == 1.5


@pytest.mark.parametrize("who", ["editor", "viewer", "stranger"])
def test_only_kit_managers_change_it(kit_team, kit, who):
    reply = patch(as_(kit_team, who), kit, {"video_drift": STRICT})
    assert reply.status_code in (403, 404)
    assert kit.versions.count() == 1


def test_an_out_of_range_tolerance_is_refused_naming_the_field(kit_team, kit):
    """The API's field validation (docs/api.md: 422 ``invalid_request`` naming the field)."""
    reply = patch(as_(kit_team, "kit_manager"), kit, {"video_drift": {"flicker": 0}})
    assert reply.status_code == 422
    error = reply.json()["error"]
    assert error["code"] == "invalid_request"
    assert "video_drift" in error["message"] and "flicker" in error["message"]
    unknown = patch(as_(kit_team, "kit_manager"), kit, {"video_drift": {"hue": 3}})
    assert unknown.status_code == 422 and "hue" in unknown.json()["error"]["message"]
    # The domain's own check (the pages' path) says it in a sentence too.
    with pytest.raises(services.InvalidKit) as caught:
        services.edit_kit(kit, None, changes={"video_drift": {"warp": 99}})
    assert "warp" in caught.value.message
    assert kit.versions.count() == 1


def clip_drift(kit_team) -> tuple[dict, dict]:
    """A one-second local-loop clip made on the kit team's board: (drift, provenance)."""
    board, editor = kit_team.board, kit_team.people["editor"]
    add_image(board, editor)
    client = Client()
    client.force_login(editor)
    reply = client.post(
        f"/api/v1/boards/{board.pk}/jobs", json.dumps(VIDEO), content_type="application/json"
    )
    assert reply.status_code in (200, 201, 202), reply.json()
    registered("canvas.jobs.work")()
    iteration = Iteration.objects.get(job=Job.objects.get())
    item = Item.objects.get(pk=iteration.applied_item_id)
    return item.props["video"]["drift"], iteration.provenance


def test_a_clip_is_flagged_against_the_boards_kit_tolerance(kit_team, kit):
    services.edit_kit(kit, kit_team.people["kit_manager"], changes={"video_drift": STRICT})
    services.set_board_kit(kit_team.board, kit)
    drift, provenance = clip_drift(kit_team)
    # The same steady clip passes the default tolerance (tests/jobs/test_video_jobs.py).
    assert drift["tolerance"] == STRICT
    assert drift["flagged"] is True and drift["worst_score"] >= 1.0
    assert provenance["brand_kit"]["version"] == 2
    assert provenance["brand_kit"]["video_drift"] == STRICT


def test_without_a_kit_the_default_tolerance_judges(kit_team):
    drift, provenance = clip_drift(kit_team)
    assert drift["tolerance"] == DriftTolerance().as_dict()
    assert drift["flagged"] is False
    assert provenance["brand_kit"] is None


def test_the_kit_page_edits_it_for_kit_managers_only(kit_team, kit):
    from tests.governance.kits.test_pages import editor_form

    form = {**editor_form(), "drift_flicker": "0.9", "drift_warp": "4"}
    page = as_(kit_team, "kit_manager").get(f"/brand-kits/{kit.pk}/")
    assert b'name="drift_flicker"' in page.content and b'value="1.5"' in page.content
    saved = as_(kit_team, "kit_manager").post(f"/brand-kits/{kit.pk}/", form)
    assert saved.status_code == 302
    drift = kit.versions.get(number=2).content["video_drift"]
    assert (drift["flicker"], drift["warp"], drift["palette"]) == (0.9, 4.0, 8.0)
    # Members see the values, in the read-only form, and cannot post them.
    editor = as_(kit_team, "editor")
    shown = editor.get(f"/brand-kits/{kit.pk}/")
    assert b'<fieldset class="kit-fields" disabled>' in shown.content
    assert b'value="0.9"' in shown.content
    assert editor.post(f"/brand-kits/{kit.pk}/", {**form, "drift_flicker": "9"}).status_code == 403
    assert kit.versions.count() == 2
