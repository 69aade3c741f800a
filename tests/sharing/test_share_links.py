"""Share links over HTTP: creation, token handling, expiry/revocation on every route,
passwords and their rate limit, per-link visibility of assets, metadata stripping,
headers, guest comments and the audit log."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from assets.derivatives import build_derivatives
from canvas.models import (
    Comment,
    Decision,
    Item,
    ItemKind,
    ShareAuditEvent,
    ShareLink,
)
from canvas.permissions import Principal
from canvas.review import decisions
from tests import factories
from tests.review.conftest import (
    api,
    jpeg_with_exif,
    make_candidate,
    make_link,
    member_client,
)

pytestmark = pytest.mark.django_db


def final(candidate, user):
    decisions.set_decision(candidate, Principal(user=user), tier="final")
    return candidate


def routes(token, candidate):
    """Every kind of route a link reaches: page, API, thumbnail, original."""
    return {
        "page": f"/s/{token}/",
        "api": f"/api/v1/share/{token}/board",
        "thumbnail": f"/s/{token}/files/{candidate.asset_id}/256.webp",
        "original": f"/s/{token}/files/{candidate.asset_id}/original",
    }


@pytest.fixture
def shared(people):
    """A final candidate with previews, and a download link onto the board."""
    candidate = final(make_candidate(people["board"], people["owner"]), people["owner"])
    build_derivatives(candidate.asset.blob_id)
    link, token = make_link(people["board"], people["owner"], permissions=["download"])
    return candidate, link, token


# --- Creating and listing -------------------------------------------------------------------


def test_token_is_shown_once_and_stored_only_as_a_hash(people):
    client = member_client(people["owner"])
    created = api(client, "POST", f"/boards/{people['board'].pk}/share-links", {"label": "Client"})
    assert created.status_code == 201
    token = created.json()["token"]
    assert len(token) >= 43  # 32 random bytes, base64url
    link = ShareLink.objects.get()
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(ShareLink.objects.values().get())
    listed = api(client, "GET", f"/boards/{people['board'].pk}/share-links").json()
    assert len(listed) == 1 and "token" not in listed[0] and token not in str(listed)
    # Defaults: view only, final only, no metadata, no presence, 14 days.
    assert listed[0]["permissions"] == ["view"]
    assert listed[0]["visibility"] == "final_only"
    assert (listed[0]["show_metadata"], listed[0]["show_presence"]) == (False, False)
    assert abs(link.expires_at - (timezone.now() + timedelta(days=14))) < timedelta(minutes=1)


@pytest.mark.parametrize(
    "body",
    [
        {"expires_in_days": 0},
        {"expires_in_days": 400},
        {"expires_at": "2020-01-01T00:00:00Z"},
        {"password": "abc"},
        {"scope": "frame"},
        {"scope": "selection", "iteration_ids": []},
    ],
)
def test_invalid_link_settings_are_clear_400s(people, body):
    response = api(
        member_client(people["owner"]), "POST", f"/boards/{people['board'].pk}/share-links", body
    )
    assert response.status_code == 400, response.json()
    assert response.json()["error"]["message"]
    assert not ShareLink.objects.exists()


def test_max_expiry_is_configurable(people, settings):
    settings.ANCHORBOARD_SHARE_MAX_DAYS = 7
    client = member_client(people["owner"])
    url = f"/boards/{people['board'].pk}/share-links"
    assert api(client, "POST", url, {"expires_in_days": 8}).status_code == 400
    assert api(client, "POST", url, {"expires_in_days": 7}).status_code == 201


def test_update_changes_settings_and_is_audited(people):
    link, _ = make_link(people["board"], people["owner"])
    client = member_client(people["owner"])
    response = api(
        client,
        "PATCH",
        f"/boards/{people['board'].pk}/share-links/{link.pk}",
        {"permissions": ["comment"], "password": "sesame123", "label": "v2"},
    )
    assert response.status_code == 200
    assert response.json()["permissions"] == ["view", "comment"]
    assert response.json()["has_password"] is True
    audit = api(client, "GET", f"/boards/{people['board'].pk}/share-links/{link.pk}/audit").json()
    assert [e["action"] for e in audit] == ["changed", "created"]
    assert audit[0]["details"]["password"] == "changed"
    assert "sesame123" not in str(audit)


# --- Expiry and revocation on every route -----------------------------------------------------


@pytest.mark.parametrize("route", ["page", "api", "thumbnail", "original"])
def test_live_link_works_on_every_route(shared, route):
    candidate, _link, token = shared
    response = Client().get(routes(token, candidate)[route])
    assert response.status_code == 200


@pytest.mark.parametrize("route", ["page", "api", "thumbnail", "original"])
def test_revoked_link_fails_on_every_route(people, shared, route):
    candidate, link, token = shared
    url = routes(token, candidate)[route]
    guest = Client()
    assert guest.get(url).status_code == 200
    revoked = api(
        member_client(people["owner"]),
        "POST",
        f"/boards/{people['board'].pk}/share-links/{link.pk}/revoke",
    )
    assert revoked.json()["state"] == "revoked"
    response = guest.get(url)
    assert response.status_code == 410
    assert b"turned off" in response.content


@pytest.mark.parametrize("route", ["page", "api", "thumbnail", "original"])
def test_expired_link_fails_on_every_route(shared, route):
    candidate, link, token = shared
    ShareLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = Client().get(routes(token, candidate)[route])
    assert response.status_code == 410
    assert b"expired" in response.content


@pytest.mark.parametrize("route", ["page", "api", "thumbnail", "original"])
def test_unknown_token_is_404_everywhere(shared, route):
    candidate, _link, token = shared
    url = routes(token, candidate)[route].replace(token, token[:-4] + "AAAA")
    assert Client().get(url).status_code == 404


def test_revoke_all_revokes_only_that_boards_links(people):
    other = factories.make_board(owner=people["owner"], name="Other")
    mine = [make_link(people["board"], people["owner"])[0] for _ in range(3)]
    theirs, _ = make_link(other, people["owner"])
    response = api(
        member_client(people["owner"]),
        "POST",
        f"/boards/{people['board'].pk}/share-links/revoke-all",
    )
    assert response.json() == {"revoked": 3}
    assert all(ShareLink.objects.get(pk=each.pk).revoked_at for each in mine)
    assert ShareLink.objects.get(pk=theirs.pk).revoked_at is None
    assert ShareAuditEvent.objects.filter(action="revoked").count() == 3


# --- Password ---------------------------------------------------------------------------------


@pytest.fixture
def locked(people, shared):
    candidate, _link, _token = shared
    link, token = make_link(
        people["board"], people["owner"], password="sesame123", permissions=["download"]
    )
    return candidate, link, token


@pytest.mark.parametrize("route", ["api", "thumbnail", "original"])
def test_password_gates_every_route(locked, route):
    candidate, _link, token = locked
    guest = Client()
    assert guest.get(routes(token, candidate)[route]).status_code == 401
    page = guest.get(f"/s/{token}/")
    assert page.status_code == 401 and b"password" in page.content
    wrong = guest.post(f"/s/{token}/unlock/", {"password": "nope"})
    assert wrong.status_code == 401
    assert guest.get(routes(token, candidate)[route]).status_code == 401
    right = guest.post(f"/s/{token}/unlock/", {"password": "sesame123"})
    assert right.status_code == 302
    assert guest.get(routes(token, candidate)[route]).status_code == 200
    # Another browser without the cookie is still locked out.
    assert Client().get(routes(token, candidate)[route]).status_code == 401


def test_changing_the_password_signs_everyone_out(people, locked):
    _candidate, link, token = locked
    guest = Client()
    guest.post(f"/s/{token}/unlock/", {"password": "sesame123"})
    assert guest.get(f"/api/v1/share/{token}/board").status_code == 200
    api(
        member_client(people["owner"]),
        "PATCH",
        f"/boards/{people['board'].pk}/share-links/{link.pk}",
        {"password": "another-one"},
    )
    assert guest.get(f"/api/v1/share/{token}/board").status_code == 401


def test_forged_password_cookie_is_refused(locked):
    from canvas.sharing.auth import password_cookie_name

    _candidate, link, token = locked
    guest = Client()
    guest.cookies[password_cookie_name(link)] = "forged:value"
    assert guest.get(f"/api/v1/share/{token}/board").status_code == 401


def test_wrong_passwords_are_rate_limited(locked, settings):
    settings.ANCHORBOARD_PASSWORD_FREE_FAILURES = 2
    _candidate, _link, token = locked
    guest = Client()
    codes = [
        guest.post(
            f"/api/v1/share/{token}/unlock",
            data={"password": "bad"},
            content_type="application/json",
        ).status_code
        for _ in range(4)
    ]
    assert codes == [401, 401, 401, 429]
    # Even the right password waits out the window: guessing must not be able to probe it.
    limited = guest.post(f"/s/{token}/unlock/", {"password": "sesame123"})
    assert limited.status_code == 429
    assert ShareAuditEvent.objects.filter(action="password_failed").count() == 3


def test_guessers_elsewhere_do_not_lock_the_link_for_its_guests(locked, settings):
    """Ten wrong passwords from each of three addresses; a guest at a fourth gets in."""
    settings.ANCHORBOARD_PASSWORD_FREE_FAILURES = 2
    _candidate, _link, token = locked
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        guesser = Client(REMOTE_ADDR=address)
        codes = {
            guesser.post(f"/s/{token}/unlock/", {"password": "bad"}).status_code for _ in range(10)
        }
        assert codes == {401, 429}
    guest = Client(REMOTE_ADDR="10.0.0.4")
    assert guest.post(f"/s/{token}/unlock/", {"password": "sesame123"}).status_code == 302
    assert guest.get(f"/api/v1/share/{token}/board").status_code == 200


# --- What a link shows ----------------------------------------------------------------------


def test_another_boards_asset_is_unreachable_with_a_valid_link(people, shared):
    _candidate, _link, token = shared
    other = factories.make_board(owner=people["owner"], name="Other")
    foreign = final(make_candidate(other, people["owner"]), people["owner"])
    build_derivatives(foreign.asset.blob_id)
    for what in ("original", "256.webp"):
        response = Client().get(f"/s/{token}/files/{foreign.asset_id}/{what}")
        assert response.status_code == 404


def test_final_only_hides_non_final_candidates_and_their_files(people, shared):
    candidate, _link, token = shared
    draft = make_candidate(people["board"], people["owner"])
    build_derivatives(draft.asset.blob_id)
    board = Client().get(f"/api/v1/share/{token}/board").json()
    assert [c["id"] for c in board["candidates"]] == [str(candidate.pk)]
    assert "source_asset" not in board["candidates"][0]  # before images: all-candidates only
    assert Client().get(f"/s/{token}/files/{draft.asset_id}/256.webp").status_code == 404
    assert Client().get(f"/s/{token}/files/{candidate.source_asset_id}/original").status_code == 404


def test_final_only_shows_what_the_team_applied_but_offers_only_final_candidates(people):
    """Under "final results only" the client sees the board as it is — the applied result,
    not the original under it — while the candidates offered beside it are final only."""
    board, owner = people["board"], people["owner"]
    draft = make_candidate(board, owner)
    item = Item.objects.create(
        board=board, kind=ItemKind.IMAGE, asset=draft.asset, width=40, height=30
    )
    draft.applied_item = item
    draft.status = "applied"
    draft.save()
    sketch = Item.objects.create(board=board, kind=ItemKind.TEXT, name="note")
    _link, token = make_link(board, owner)
    shown = Client().get(f"/api/v1/share/{token}/board").json()
    assert {i["id"] for i in shown["items"]} == {str(sketch.pk), str(item.pk)}
    assert shown["candidates"] == []
    assert Client().get(f"/s/{token}/files/{draft.asset_id}/original").status_code == 403
    # A discarded result's copy is not part of the board any more.
    draft.status = "discarded"
    draft.save()
    items = Client().get(f"/api/v1/share/{token}/board").json()["items"]
    assert [i["id"] for i in items] == [str(sketch.pk)]


def test_all_candidates_shows_drafts_and_sources(people, shared):
    candidate, _link, _token = shared
    draft = make_candidate(people["board"], people["owner"])
    _link, token = make_link(people["board"], people["owner"], visibility="all_candidates")
    board = Client().get(f"/api/v1/share/{token}/board").json()
    assert {c["id"] for c in board["candidates"]} == {str(candidate.pk), str(draft.pk)}
    source = next(c for c in board["candidates"] if c["id"] == str(draft.pk))["source_asset"]
    assert source["original_url"].startswith(f"/s/{token}/files/")


def test_selection_and_frame_scopes(people):
    board, owner = people["board"], people["owner"]
    inside = final(
        make_candidate(board, owner, region={"x": 10, "y": 10, "width": 20, "height": 20}), owner
    )
    outside = final(
        make_candidate(board, owner, region={"x": 900, "y": 900, "width": 20, "height": 20}), owner
    )
    frame = Item.objects.create(
        board=board, kind=ItemKind.FRAME, name="Hero", x=0, y=0, width=100, height=100
    )
    _l, frame_token = make_link(board, owner, scope="frame", frame_id=str(frame.pk))
    shown = Client().get(f"/api/v1/share/{frame_token}/board").json()
    assert [c["id"] for c in shown["candidates"]] == [str(inside.pk)]
    assert [i["id"] for i in shown["items"]] == [str(frame.pk)]
    _l, sel_token = make_link(board, owner, scope="selection", iteration_ids=[str(outside.pk)])
    shown = Client().get(f"/api/v1/share/{sel_token}/board").json()
    assert [c["id"] for c in shown["candidates"]] == [str(outside.pk)]
    assert shown["items"] == []
    assert Client().get(f"/s/{sel_token}/files/{inside.asset_id}/256.webp").status_code == 404


def test_metadata_only_with_show_metadata(people, shared):
    shown, _l, token = shared
    Item.objects.create(
        board=people["board"],
        kind=ItemKind.IMAGE,
        asset=shown.asset,
        name="IMG_2026-01-02.jpg",
        width=40,
        height=30,
    )
    board = Client().get(f"/api/v1/share/{token}/board").json()
    [candidate] = board["candidates"]
    assert "provenance" not in candidate and "seed" not in candidate
    # A layer named after a file is shown under a neutral name (canvas.boards.naming).
    assert [i["name"] for i in board["items"]] == ["Image 1"]
    _l, token = make_link(people["board"], people["owner"], show_metadata=True)
    board = Client().get(f"/api/v1/share/{token}/board").json()
    [candidate] = board["candidates"]
    assert candidate["provenance"]["prompt"] == "misty cliffs"
    assert [i["name"] for i in board["items"]] == ["IMG_2026-01-02.jpg"]


# --- Downloads: EXIF and names ---------------------------------------------------------------


@pytest.fixture
def photo(people):
    candidate = make_candidate(
        people["board"],
        people["owner"],
        data=jpeg_with_exif(),
        filename="IMG_2026-01-02_cliffs.jpg",
    )
    return final(candidate, people["owner"])


def test_download_strips_exif_and_uses_a_neutral_name(people, photo):
    assert Image.open(io.BytesIO(jpeg_with_exif())).getexif()  # the upload has EXIF
    _link, token = make_link(people["board"], people["owner"], permissions=["download"])
    response = Client().get(f"/s/{token}/files/{photo.asset_id}/original")
    assert response.status_code == 200
    data = b"".join(response.streaming_content) if response.streaming else response.content
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert not image.getexif()
    assert b"SecretCam" not in data
    disposition = response["Content-Disposition"]
    assert "IMG_2026" not in disposition
    assert f"anchorboard-{photo.asset_id.hex[:8]}.jpg" in disposition


def test_download_keeps_metadata_when_the_link_shows_it(people, photo):
    _link, token = make_link(
        people["board"], people["owner"], permissions=["download"], show_metadata=True
    )
    response = Client().get(f"/s/{token}/files/{photo.asset_id}/original")
    data = b"".join(response.streaming_content)
    assert Image.open(io.BytesIO(data)).getexif()[0x010F] == "SecretCam"
    assert "IMG_2026-01-02_cliffs.jpg" in response["Content-Disposition"]


def test_guest_responses_send_privacy_headers(shared):
    candidate, _link, token = shared
    for url in routes(token, candidate).values():
        response = Client().get(url)
        assert response["Referrer-Policy"] == "no-referrer", url
        assert "noindex" in response["X-Robots-Tag"], url
        assert response["Cache-Control"].startswith("private"), url


def test_expired_and_revoked_pages_send_privacy_headers_too(people, shared):
    candidate, link, token = shared
    ShareLink.objects.filter(pk=link.pk).update(revoked_at=timezone.now())
    for url in routes(token, candidate).values():
        response = Client().get(url)
        assert response.status_code == 410
        assert response["Referrer-Policy"] == "no-referrer", url


# --- Guests commenting and deciding ----------------------------------------------------------


def test_guest_comment_needs_a_name_once_then_uses_the_session(people, shared):
    _c, link, _t = shared
    ShareLink.objects.filter(pk=link.pk).update(permissions=["view", "comment"])
    guest = Client()
    url = f"/api/v1/share/{_t}/comments"
    body = {"body": "Love it", "target": "point", "x": 3, "y": 4}
    nameless = guest.post(url, data=body, content_type="application/json")
    assert nameless.status_code == 400
    assert nameless.json()["error"]["code"] == "guest_name_required"
    named = guest.post(
        url,
        data={**body, "name": "Cleo", "email": "cleo@client.test"},
        content_type="application/json",
    )
    assert named.status_code == 201
    again = guest.post(url, data=body, content_type="application/json")
    assert again.json()["author"] == {"id": None, "name": "Cleo", "guest": True}
    stored = Comment.objects.filter(guest_name="Cleo")
    assert stored.count() == 2 and stored.first().guest_email == "cleo@client.test"
    assert ShareAuditEvent.objects.filter(link=link, action="comment").count() == 2
    # The team sees the guest comment like any other.
    team = api(member_client(people["viewer"]), "GET", f"/boards/{people['board'].pk}/comments")
    assert [c["author"]["name"] for c in team.json()] == ["Cleo", "Cleo"]
    unread = api(member_client(people["viewer"]), "GET", "/comments/unread").json()
    assert unread == {str(people["board"].pk): 2}  # guest comments count as unread


def test_guest_identify_page_sets_the_name(people, shared):
    _c, link, token = shared
    ShareLink.objects.filter(pk=link.pk).update(permissions=["view", "comment"])
    guest = Client()
    assert guest.post(f"/s/{token}/guest/", {"name": ""}).status_code == 400
    assert guest.post(f"/s/{token}/guest/", {"name": "Cleo"}).status_code == 302
    board = guest.get(f"/api/v1/share/{token}/board").json()
    assert board["guest"] == {"name": "Cleo"}


def test_guest_comments_are_rate_limited(people, shared, settings):
    settings.ANCHORBOARD_SHARE_COMMENTS_PER_IP = 3
    _c, link, token = shared
    ShareLink.objects.filter(pk=link.pk).update(permissions=["view", "comment"])
    guest = Client()
    body = {"body": "hi", "target": "point", "x": 0, "y": 0, "name": "Cleo"}
    codes = [
        guest.post(
            f"/api/v1/share/{token}/comments", data=body, content_type="application/json"
        ).status_code
        for _ in range(4)
    ]
    assert codes == [201, 201, 201, 429]
    assert Comment.objects.count() == 3


def test_guest_approval_is_recorded_with_the_guest_name(people, shared):
    candidate, link, token = shared
    ShareLink.objects.filter(pk=link.pk).update(permissions=["view", "approve"])
    guest = Client()
    guest.post(
        f"/api/v1/share/{token}/guest", data={"name": "Cleo"}, content_type="application/json"
    )
    url = f"/api/v1/share/{token}/iterations/{candidate.pk}/decision"
    done = guest.put(url, data={"status": "approved"}, content_type="application/json")
    assert done.status_code == 200
    assert done.json()["decided_by"] == {"name": "Cleo", "guest": True}
    decision = Decision.objects.get(iteration=candidate)
    assert (decision.status, decision.guest_name, decision.decided_by_link_id) == (
        "approved",
        "Cleo",
        link.pk,
    )
    rating = guest.put(url, data={"rating": 5}, content_type="application/json")
    assert rating.status_code == 400  # guests decide; they do not rate
    assert ShareAuditEvent.objects.filter(link=link, action="decision").count() == 1


def test_access_is_audited_once_per_visitor(shared):
    candidate, link, token = shared
    guest = Client()
    for url in routes(token, candidate).values():
        guest.get(url)
    guest.get(f"/s/{token}/")
    assert ShareAuditEvent.objects.filter(link=link, action="accessed").count() == 1
