"""Permission matrix: every board role and every share-link permission combination against
every review/share page, API endpoint and file route — allowed where it should be, refused
(404 for no role, 403 for too low a role or permission) everywhere else."""

from __future__ import annotations

import itertools

import pytest
from django.test import Client

from assets.derivatives import build_derivatives
from canvas.models import Comment, ShareLink
from canvas.permissions import Principal
from canvas.review import comments, decisions
from tests.review.conftest import api, make_candidate, make_link, member_client

pytestmark = pytest.mark.django_db

ROLES = ["owner", "editor", "reviewer", "viewer", "stranger", "anonymous"]
RANK = {"owner": 4, "editor": 3, "reviewer": 2, "viewer": 1, "stranger": 0, "anonymous": -1}


@pytest.fixture
def world(people):
    board, owner = people["board"], people["owner"]
    candidate = make_candidate(board, owner)
    decisions.set_decision(candidate, Principal(user=owner), rating=4, tier="final")
    draft = make_candidate(board, owner)
    decisions.set_decision(draft, Principal(user=owner), rating=3)  # something to promote
    build_derivatives(candidate.asset.blob_id)
    build_derivatives(draft.asset.blob_id)
    comment = comments.add_comment(
        board, Principal(user=owner), {"body": "hi", "target": "point", "x": 1, "y": 2}
    )
    link, _token = make_link(board, owner)
    return {**people, "candidate": candidate, "draft": draft, "comment": comment, "link": link}


def member_endpoints(w):
    """(name, minimum role, method, path, body) for every member endpoint of this feature."""
    b, it, c, link = w["board"].pk, w["candidate"].pk, w["comment"].pk, w["link"].pk
    return [
        ("review list", "viewer", "GET", f"/boards/{b}/review", None),
        ("decision history", "viewer", "GET", f"/iterations/{it}/decision/history", None),
        ("comments", "viewer", "GET", f"/boards/{b}/comments", None),
        ("mark read", "viewer", "POST", f"/boards/{b}/comments/read", None),
        ("decide", "reviewer", "PUT", f"/iterations/{it}/decision", {"status": "approved"}),
        ("promote", "reviewer", "POST", f"/boards/{b}/promote", {"percent": 100}),
        (
            "comment",
            "reviewer",
            "POST",
            f"/boards/{b}/comments",
            {"body": "x", "target": "point", "x": 0, "y": 0},
        ),
        ("resolve", "reviewer", "POST", f"/boards/{b}/comments/{c}/resolve", None),
        ("reopen", "reviewer", "POST", f"/boards/{b}/comments/{c}/reopen", None),
        ("drift triage", "owner", "PUT", f"/boards/{b}/drift-triage", {"drift_triage": "route"}),
        # (after the line above has turned triage on: with it off, owners get a 400)
        ("triage existing", "owner", "POST", f"/boards/{b}/drift-triage/apply", None),
        ("list links", "owner", "GET", f"/boards/{b}/share-links", None),
        ("create link", "owner", "POST", f"/boards/{b}/share-links", {}),
        ("change link", "owner", "PATCH", f"/boards/{b}/share-links/{link}", {"label": "x"}),
        ("link audit", "owner", "GET", f"/boards/{b}/share-links/{link}/audit", None),
        ("revoke link", "owner", "POST", f"/boards/{b}/share-links/{link}/revoke", None),
        ("revoke all", "owner", "POST", f"/boards/{b}/share-links/revoke-all", None),
    ]


def client_for(w, role):
    return Client() if role == "anonymous" else member_client(w[role])


@pytest.mark.parametrize("role", ROLES)
def test_member_endpoints_by_role(world, role):
    client = client_for(world, role)
    for name, minimum, method, path, body in member_endpoints(world):
        response = api(client, method, path, body)
        if role == "anonymous":
            expected = {401}
        elif role == "stranger":
            expected = {404}
        elif RANK[role] >= RANK[minimum]:
            expected = {200, 201, 204}
        else:
            expected = {403}
        assert response.status_code in expected, (name, role, response.status_code)
        if response.status_code >= 400:
            assert response.json()["error"]["message"], name


@pytest.mark.parametrize("role", ["viewer", "stranger", "anonymous"])
def test_refused_members_change_nothing(world, role):
    client = client_for(world, role)
    for _name, minimum, method, path, body in member_endpoints(world):
        if minimum != "viewer":
            api(client, method, path, body)
    assert Comment.objects.count() == 1
    assert world["candidate"].decision.status == ""
    assert ShareLink.objects.get(pk=world["link"].pk).revoked_at is None
    assert ShareLink.objects.count() == 1


@pytest.mark.parametrize("role", ROLES)
def test_inbox_lists_only_boards_i_review(world, role):
    client = client_for(world, role)
    response = api(client, "GET", "/inbox")
    if role == "anonymous":
        assert response.status_code == 401
        assert Client().get("/inbox/").status_code == 302  # to the login page
        return
    boards = [entry["board"]["id"] for entry in response.json()]
    if RANK[role] >= RANK["reviewer"]:
        assert boards == [str(world["board"].pk)]
        waiting = {c["id"] for c in response.json()[0]["candidates"]}
        # The final candidate is rated but has no verdict yet: both await a decision.
        assert waiting == {str(world["candidate"].pk), str(world["draft"].pk)}
        page = client.get("/inbox/")
        assert page.status_code == 200 and world["board"].name.encode() in page.content
    else:
        assert boards == []


def test_inbox_drops_decided_candidates(world):
    decisions.set_decision(world["draft"], Principal(user=world["owner"]), status="rejected")
    response = api(member_client(world["reviewer"]), "GET", "/inbox").json()
    assert [c["id"] for c in response[0]["candidates"]] == [str(world["candidate"].pk)]


# --- Share links ----------------------------------------------------------------------------

EXTRA = ["comment", "approve", "download"]
COMBOS = [list(c) for n in range(len(EXTRA) + 1) for c in itertools.combinations(EXTRA, n)]


def guest_routes(token, w, *, candidate):
    it, asset = candidate.pk, candidate.asset_id
    point = {"body": "hi", "target": "point", "x": 0, "y": 0, "name": "Cleo"}
    return [
        ("page", None, "GET", f"/s/{token}/", None),
        ("board", None, "GET", f"/api/v1/share/{token}/board", None),
        ("thumbnail", None, "GET", f"/s/{token}/files/{asset}/256.webp", None),
        ("read comments", "comment", "GET", f"/api/v1/share/{token}/comments", None),
        ("comment", "comment", "POST", f"/api/v1/share/{token}/comments", point),
        (
            "decide",
            "approve",
            "PUT",
            f"/api/v1/share/{token}/iterations/{it}/decision",
            {"status": "approved"},
        ),
        ("original", "download", "GET", f"/s/{token}/files/{asset}/original", None),
    ]


def call(client, method, path, body):
    if body is None:
        return getattr(client, method.lower())(path)
    return getattr(client, method.lower())(path, data=body, content_type="application/json")


@pytest.mark.parametrize("extra", COMBOS, ids=lambda c: "+".join(["view", *c]))
@pytest.mark.parametrize("visibility", ["final_only", "all_candidates"])
def test_guest_routes_by_link_permissions(world, extra, visibility):
    _link, token = make_link(
        world["board"], world["owner"], permissions=extra, visibility=visibility
    )
    guest = Client()
    for name, needs, method, path, body in guest_routes(token, world, candidate=world["candidate"]):
        response = call(guest, method, path, body)
        allowed = needs is None or needs in extra
        assert (response.status_code < 300) == allowed, (name, extra, response.status_code)
        if not allowed:
            assert response.status_code == 403, name
    # The draft (not final) exists only for all-candidates links.
    for name, needs, method, path, body in guest_routes(token, world, candidate=world["draft"]):
        if name in ("page", "board", "read comments", "comment"):
            continue
        response = call(guest, method, path, body)
        shows = visibility == "all_candidates"
        allowed = shows and (needs is None or needs in extra)
        assert (response.status_code < 300) == allowed, (name, visibility, response.status_code)
        if not shows and name in ("thumbnail", "original"):
            assert response.status_code == 404, name  # files: as if they did not exist
        elif needs is not None and needs not in extra:
            assert response.status_code == 403, name  # API: the permission is checked first
        elif not shows:
            assert response.status_code == 404, name


@pytest.mark.parametrize("extra", COMBOS, ids=lambda c: "+".join(["view", *c]))
def test_a_link_never_reaches_member_routes(world, extra):
    _link, token = make_link(world["board"], world["owner"], permissions=extra)
    guest = Client()
    guest.get(f"/s/{token}/")  # a guest session exists now
    for name, _minimum, method, path, body in member_endpoints(world):
        assert api(guest, method, path, body).status_code == 401, name
    blob = world["candidate"].asset.blob_id
    team_file = f"/files/{world['candidate'].asset_id}/{blob}/original"
    assert guest.get(team_file).status_code == 404
    assert guest.get(f"/boards/{world['board'].pk}/").status_code == 302  # login page


def test_guest_comment_list_shows_only_what_the_link_shows(world):
    board, owner = world["board"], world["owner"]
    who = Principal(user=owner)
    comments.add_comment(
        board, who, {"body": "on draft", "target": "iteration", "iteration": str(world["draft"].pk)}
    )
    comments.add_comment(
        board,
        who,
        {"body": "on final", "target": "iteration", "iteration": str(world["candidate"].pk)},
    )
    _link, token = make_link(board, owner, permissions=["comment"])
    bodies = {c["body"] for c in Client().get(f"/api/v1/share/{token}/comments").json()}
    assert bodies == {"hi", "on final"}
    draft_comment = Client().post(
        f"/api/v1/share/{token}/comments",
        data={
            "body": "x",
            "target": "iteration",
            "iteration": str(world["draft"].pk),
            "name": "Cleo",
        },
        content_type="application/json",
    )
    assert draft_comment.status_code == 404


# --- Coverage -------------------------------------------------------------------------------

# Review/share API operations checked by this module's matrices (member_endpoints and
# guest_routes), plus the few whose callers are not board roles, each with the test that
# covers it. tests/test_permission_matrix.py leaves exactly these to this module.
REVIEW_OPERATIONS: dict[tuple[str, str], str] = {
    ("get", "/api/v1/boards/{board_id}/review"): "member_endpoints",
    ("get", "/api/v1/iterations/{iteration_id}/decision/history"): "member_endpoints",
    ("get", "/api/v1/boards/{board_id}/comments"): "member_endpoints",
    ("post", "/api/v1/boards/{board_id}/comments"): "member_endpoints",
    ("post", "/api/v1/boards/{board_id}/comments/read"): "member_endpoints",
    ("put", "/api/v1/iterations/{iteration_id}/decision"): "member_endpoints",
    ("post", "/api/v1/boards/{board_id}/promote"): "member_endpoints",
    ("post", "/api/v1/boards/{board_id}/comments/{comment_id}/resolve"): "member_endpoints",
    ("post", "/api/v1/boards/{board_id}/comments/{comment_id}/reopen"): "member_endpoints",
    ("put", "/api/v1/boards/{board_id}/drift-triage"): "member_endpoints",
    ("post", "/api/v1/boards/{board_id}/drift-triage/apply"): "member_endpoints",
    ("get", "/api/v1/boards/{board_id}/share-links"): "member_endpoints",
    ("post", "/api/v1/boards/{board_id}/share-links"): "member_endpoints",
    ("patch", "/api/v1/boards/{board_id}/share-links/{link_id}"): "member_endpoints",
    ("get", "/api/v1/boards/{board_id}/share-links/{link_id}/audit"): "member_endpoints",
    ("post", "/api/v1/boards/{board_id}/share-links/{link_id}/revoke"): "member_endpoints",
    ("post", "/api/v1/boards/{board_id}/share-links/revoke-all"): "member_endpoints",
    ("get", "/api/v1/share/{token}/board"): "guest_routes",
    ("get", "/api/v1/share/{token}/comments"): "guest_routes",
    ("post", "/api/v1/share/{token}/comments"): "guest_routes",
    ("put", "/api/v1/share/{token}/iterations/{iteration_id}/decision"): "guest_routes",
    ("get", "/api/v1/inbox"): "test_inbox_lists_only_boards_i_review",
    ("get", "/api/v1/comments/unread"): "test_comments.test_unread_counts_per_user",
    ("post", "/api/v1/share/{token}/unlock"): "test_share_links (password, rate limit)",
    ("post", "/api/v1/share/{token}/guest"): "test_comments (guest identity)",
}


def _template(path: str) -> str:
    """Turn a concrete path from the matrices back into its OpenAPI template."""
    import re

    uuid = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    path = re.sub(r"/share/[^/]+", "/share/{token}", path)
    for prefix, name in (
        ("boards", "board_id"),
        ("iterations", "iteration_id"),
        ("comments", "comment_id"),
        ("share-links", "link_id"),
    ):
        path = re.sub(rf"/{prefix}/{uuid}", f"/{prefix}/{{{name}}}", path)
    return path


def test_review_matrices_cover_every_review_operation(world):
    """A new review/share endpoint fails this test until a matrix (or a named test) covers it."""
    from anchorboard.api import api as ninja_api

    schema_ops = {
        (method, path)
        for path, ops in ninja_api.get_openapi_schema()["paths"].items()
        for method in ops
    }
    assert set(REVIEW_OPERATIONS) <= schema_ops
    in_matrix = {
        (method.lower(), _template("/api/v1" + path))
        for _name, _min, method, path, _body in member_endpoints(world)
    }
    in_matrix |= {
        (method.lower(), _template(path))
        for _name, _perm, method, path, _body in guest_routes(
            "tok", world, candidate=world["candidate"]
        )
        if path.startswith("/api/v1/")
    }
    for operation, where in REVIEW_OPERATIONS.items():
        if where in {"member_endpoints", "guest_routes"}:
            assert operation in in_matrix, operation
