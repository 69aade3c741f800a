"""What a client sees through a share link: layer names in words ("Result 2 of Hero shot"),
applied results under "final only", and the team's verdicts only when the link shares them."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from assets.derivatives import build_derivatives
from canvas.boards import iterations
from canvas.models import Item, ItemKind, ShareAuditEvent
from canvas.permissions import Principal
from canvas.review import decisions
from tests.review.conftest import api, make_candidate, make_link, make_variations, member_client

pytestmark = pytest.mark.django_db

REGION = {"x": 20, "y": 20, "width": 200, "height": 150}


def guest_board(token: str) -> dict:
    response = Client().get(f"/api/v1/share/{token}/board")
    assert response.status_code == 200
    return response.json()


def guest_decide(token: str, iteration, status: str) -> None:
    response = Client().put(
        f"/api/v1/share/{token}/iterations/{iteration.pk}/decision",
        data={"status": status},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content


@pytest.fixture
def hero(people):
    """A "Hero shot" frame with an uploaded photo, a job of four variations, the second
    applied to the board (not final) and the first promoted to final."""
    from assets.services import ingest_bytes
    from tests import factories

    board, owner = people["board"], people["owner"]
    Item.objects.create(
        board=board, kind=ItemKind.FRAME, name="Hero shot", x=0, y=0, width=400, height=300
    )
    photo = ingest_bytes(board, owner, factories.png_bytes((40, 30)), "IMG_0042.jpg")
    Item.objects.create(
        board=board, kind=ItemKind.IMAGE, asset=photo, name="IMG_0042", width=400, height=300
    )
    four = make_variations(board, owner, 4, region=REGION)
    applied = iterations.apply(four[1], owner)
    decisions.set_decision(four[0], Principal(user=owner), tier="final")
    return {"four": four, "applied": applied}


def test_client_sees_layers_named_in_words_and_the_applied_result(people, hero):
    _link, token = make_link(people["board"], people["owner"])  # final only, no metadata
    shown = guest_board(token)
    names = {i["kind"] + ":" + i["name"] for i in shown["items"]}
    assert names == {"frame:Hero shot", "image:Image 1", "image:Result 2 of Hero shot"}
    result = next(i for i in shown["items"] if i["name"].startswith("Result"))
    assert result["props"]["iteration"] == str(hero["applied"].pk)
    # The applied result's pixels are reachable; candidates are the final one only.
    build_derivatives(hero["applied"].asset.blob_id)
    level = min(result["asset"]["levels"] or [256])
    preview = Client().get(result["asset"]["level_url"].replace("{level}", str(level)))
    assert preview.status_code == 200
    assert [c["id"] for c in shown["candidates"]] == [str(hero["four"][0].pk)]
    assert shown["candidates"][0]["number"] == 1


def test_the_share_page_bootstrap_carries_the_decision_setting(people, hero):
    _link, token = make_link(people["board"], people["owner"], show_decisions=True)
    page = Client().get(f"/s/{token}/")
    assert page.status_code == 200
    start = page.content.index(b'id="board-bootstrap"')
    raw = page.content[
        page.content.index(b">", start) + 1 : page.content.index(b"</script>", start)
    ]
    assert json.loads(raw)["share"]["show_decisions"] is True


def test_team_verdicts_are_internal_unless_the_link_shares_them(people, hero):
    board, owner = people["board"], people["owner"]
    final = hero["four"][0]
    decisions.set_decision(final, Principal(user=owner), status="needs_changes")
    _link, approve_token = make_link(board, owner, permissions=["approve"])
    _link, view_token = make_link(board, owner)
    _link, shared_token = make_link(board, owner, show_decisions=True)
    assert guest_board(approve_token)["candidates"][0]["decision"] is None
    assert guest_board(view_token)["candidates"][0]["decision"] is None
    seen = guest_board(shared_token)["candidates"][0]["decision"]
    assert seen["status"] == "needs_changes" and "rating" not in seen

    # The client's own verdict shows on their link, and stays after the team changes it.
    guest_decide(approve_token, final, "approved")
    mine = guest_board(approve_token)["candidates"][0]["decision"]
    assert (mine["status"], mine["decided_by"]["guest"]) == ("approved", True)
    decisions.set_decision(final, Principal(user=owner), status="rejected")
    assert guest_board(approve_token)["candidates"][0]["decision"]["status"] == "approved"
    assert guest_board(view_token)["candidates"][0]["decision"] is None
    assert guest_board(shared_token)["candidates"][0]["decision"]["status"] == "rejected"


def test_show_decisions_is_a_link_setting_with_an_audit_trail(people):
    board = people["board"]
    owner = member_client(people["owner"])
    created = api(owner, "POST", f"/boards/{board.pk}/share-links", {"label": "Round 1"})
    assert created.status_code == 201
    link = created.json()
    assert link["show_decisions"] is False
    changed = api(
        owner,
        "PATCH",
        f"/boards/{board.pk}/share-links/{link['id']}",
        {"show_decisions": True},
    )
    assert changed.json()["show_decisions"] is True
    event = ShareAuditEvent.objects.filter(link_id=link["id"], action="changed").get()
    assert event.details["show_decisions"] == [False, True]


def test_guest_candidates_are_numbered_within_their_job(people):
    board, owner = people["board"], people["owner"]
    two = make_variations(board, owner, 2)
    make_candidate(board, owner)
    _link, token = make_link(board, owner, visibility="all_candidates")
    numbers = {c["id"]: c["number"] for c in guest_board(token)["candidates"]}
    assert numbers[str(two[0].pk)] == 1 and numbers[str(two[1].pk)] == 2


def test_view_only_guests_get_full_size_pixels_without_the_original_file(people):
    """The canvas draws ``original_url`` above the preview pyramid: without download that is
    the full-size view (re-rendered WebP, no EXIF), never a 403."""
    import io

    from PIL import Image

    from canvas.sharing import links
    from tests.review.conftest import jpeg_with_exif

    board, owner = people["board"], people["owner"]
    photo = make_candidate(board, owner, data=jpeg_with_exif((640, 480)), filename="IMG_1.jpg")
    decisions.set_decision(photo, Principal(user=owner), tier="final")
    hidden = make_candidate(board, owner)
    link, token = make_link(board, owner)
    [candidate] = guest_board(token)["candidates"]
    assert candidate["asset"]["original_url"] == f"/s/{token}/files/{photo.asset_id}/view.webp"
    response = Client().get(candidate["asset"]["original_url"])
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "Content-Disposition" not in response  # shown, not downloaded
    image = Image.open(io.BytesIO(response.content))
    assert image.size == (640, 480) and not image.getexif()
    assert Client().get(f"/s/{token}/files/{hidden.asset_id}/view.webp").status_code == 404
    links.revoke_link(link, owner)
    assert Client().get(candidate["asset"]["original_url"]).status_code == 410
    # With the download permission the original itself is offered (and drawn).
    _link, token = make_link(board, owner, permissions=["download"])
    [candidate] = guest_board(token)["candidates"]
    assert candidate["asset"]["original_url"].endswith(f"/{photo.asset_id}/original")
