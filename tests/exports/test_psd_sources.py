"""Layered PSDs of a selection and of a region's history, end to end through the API and
read back with psd-tools: layer count, names, offsets, visibility, canvas size, and the
stored composite within ΔE2000 ≤ 1 of the server's own composite (docs/exports.md,
"Layered PSD")."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from psd_tools import PSDImage

from canvas import compositing
from canvas.models import Item
from tests import factories
from tests.assets.colour_checks import delta_e_2000
from tests.exports.conftest import client_for
from tests.exports.test_formats import export_and_download
from tests.jobs.conftest import add_image
from tests.review.conftest import make_candidate, make_variations

pytestmark = pytest.mark.django_db


def post(user, board, body):
    return client_for(user).post(
        f"/api/v1/boards/{board.pk}/exports", json.dumps(body), content_type="application/json"
    )


def assert_stored_composite_is(document: PSDImage, server: np.ndarray) -> None:
    stored = document.numpy()  # the merged image, as psd-tools reads it
    assert stored.shape == server.shape
    assert delta_e_2000(stored, server).max() <= 1.0


def test_psd_of_selected_images_spans_their_bounds_with_only_them(
    board, owner, images, django_capture_on_commit_callbacks
):
    Item.objects.filter(pk=images[0].pk).update(name="Backdrop")
    Item.objects.filter(pk=images[1].pk).update(name="Hero", x=100.5, y=3)
    palette = add_image(board, owner, x=10, y=60, width=32, height=24, color=(20, 20, 90))
    Item.objects.filter(pk=palette.pk).update(name="Palette", anchor_role="palette")
    # Not selected, painted on top inside the selection's bounds: not exported.
    add_image(board, owner, x=20, y=10, width=20, height=20, color=(10, 10, 250), z=9)
    chosen = [str(images[1].pk), str(images[0].pk), str(palette.pk)]
    export, data = export_and_download(
        client_for(owner),
        board,
        {"kind": "psd", "items": chosen},
        django_capture_on_commit_callbacks,
    )

    document = PSDImage.open(io.BytesIO(data))
    # x 0 … 164.5 rounded out to 165; y 0 … 84 (the palette's bottom).
    assert document.size == (165, 84)
    top_level = list(document)
    assert [layer.name for layer in top_level] == ["Anchors", "Backdrop", "Hero"]
    assert len(list(document.descendants())) == 4
    anchors, backdrop, hero = top_level
    assert anchors.is_group() and not anchors.visible
    assert [(a.name, a.offset) for a in anchors] == [("Palette", (10, 60))]
    assert backdrop.offset == (0, 0) and backdrop.size == (64, 48)
    assert hero.offset == (100, 3) and hero.size == (65, 48)  # 100.5 … 164.5, rounded out
    assert backdrop.visible and hero.visible

    region = compositing.Region(0, 0, 165, 84)
    only = {str(images[0].pk), str(images[1].pk), str(palette.pk)}
    server = np.asarray(
        compositing.composite(compositing.load_items(board, region, only=only), region)
    )
    assert_stored_composite_is(document, server)
    # Red where the unselected blue square sits on the board: it is left out.
    assert np.abs(document.numpy()[15, 25, :3] * 255 - (200, 40, 40)).max() <= 2
    assert export["file_name"].endswith("_selection_165x84.psd")


def test_psd_of_a_selection_without_images_is_refused(board, owner, frame):
    response = post(owner, board, {"kind": "psd", "items": [str(frame.pk)]})
    assert response.status_code == 400
    assert "made of images: the selection holds none" in response.json()["error"]["message"]


def test_psd_of_a_jobs_region_has_the_original_and_each_result_only_the_applied_shown(
    board, owner, django_capture_on_commit_callbacks
):
    region = {"x": 10, "y": 20, "width": 40, "height": 30}
    results = make_variations(board, owner, count=3, region=region)
    results[1].status = "applied"
    results[1].save(update_fields=["status"])
    job = results[0].job
    make_candidate(board, owner, job=job, index=3, status="discarded")  # left out
    make_candidate(board, owner, region={"x": 0, "y": 0, "width": 8, "height": 8})  # elsewhere
    export, data = export_and_download(
        client_for(owner),
        board,
        {"kind": "psd", "job": str(job.pk)},
        django_capture_on_commit_callbacks,
    )

    document = PSDImage.open(io.BytesIO(data))
    assert document.size == (40, 30)
    layers = list(document)
    short = str(job.pk)[:8]
    assert [layer.name for layer in layers] == [
        "Original",
        *(f"Result {n} · job {short} · local" for n in (1, 2, 3)),
    ]
    assert [layer.visible for layer in layers] == [True, False, True, False]
    assert {layer.offset for layer in layers} == {(0, 0)}
    assert {layer.size for layer in layers} == {(40, 30)}

    box = compositing.Region(10, 20, 40, 30)
    shown = [results[0].source_asset, results[1].asset]
    server = np.asarray(
        compositing.composite(
            [
                compositing.CompositeItem(compositing.open_original(a.blob), 10, 20, 40, 30)
                for a in shown
            ],
            box,
        )
    )
    assert_stored_composite_is(document, server)
    applied = np.asarray(compositing.open_original(results[1].asset.blob))
    assert delta_e_2000(document.numpy(), applied).max() <= 1.0  # the result covers it
    assert export["file_name"].endswith(f"_job-{short}_40x30.psd")


def test_psd_of_a_job_is_refused_without_results_or_from_another_board(board, owner):
    from canvas.models import Job

    empty = Job.objects.create(
        board=board,
        created_by=owner,
        mode="img2img",
        engine="local",
        state="running",
        spec={"region": {"x": 0, "y": 0, "width": 10, "height": 10}},
    )
    response = post(owner, board, {"kind": "psd", "job": str(empty.pk)})
    assert response.status_code == 400
    assert "has no results yet" in response.json()["error"]["message"]

    other = factories.make_board(board.team, "Other", owner=owner)
    response = post(owner, other, {"kind": "psd", "job": str(empty.pk)})
    assert response.status_code == 400
    assert "is not a job of this board" in response.json()["error"]["message"]

    response = post(owner, board, {"kind": "png", "job": str(empty.pk)})
    assert response.status_code == 400
    assert "only as a layered PSD" in response.json()["error"]["message"]
    # Someone without a role on the board does not see it at all.
    stranger = factories.make_user("stranger")
    assert post(stranger, board, {"kind": "psd", "job": str(empty.pk)}).status_code == 404
