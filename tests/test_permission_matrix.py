"""Who may do what: every role × every API endpoint and file route, exact status per cell.

One board ("Campaign") in team Studio (default board role: editor) with one asset. The
callers: its explicit owner/editor (also team members), an explicit reviewer and viewer
(guests from outside the team), a team admin and a plain team member with no explicit
membership, a stranger from another team (by session and by API token), and nobody.

Rules under test (canvas.permissions): view to read, edit to change or upload, manage to
archive, delete to delete; too low a role is a 403 that says why; no role at all is a 404
that looks exactly like a missing id, for boards and for files, even for a stranger who
holds the same bytes on their own board and so knows the content hash.

Job and result rows (canvas/api_jobs.py) add a finished job with two results, a queued
and a cancelled job to the same board. Member rows (canvas/members/api.py) act on "extra"
(a viewer of the board and a member of the team who is none of the callers) and add
"newcomer" (in nothing); team rows follow the team role instead: admins manage, members
read, everyone else gets the team's 404. ``test_matrix_covers_every_api_endpoint`` fails as
soon as an API operation has no row here.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from assets.derivatives import build_derivatives
from assets.models import Asset
from assets.services import ingest_bytes
from canvas.members import invitations
from canvas.models import (
    ApiToken,
    Board,
    BoardMember,
    Item,
    ItemKind,
    Role,
    TeamMembership,
    TeamRole,
)
from canvas.permissions import role_for
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = [
    "owner",
    "editor",
    "reviewer",
    "viewer",
    "team_admin",
    "team_member_default",
    "stranger",
    "anonymous",
    "bearer_stranger",
]

# The role each caller ends up with on the board (None: no access at all).
EFFECTIVE_ROLE = {
    "owner": "owner",
    "editor": "editor",
    "reviewer": "reviewer",
    "viewer": "viewer",
    "team_admin": "owner",
    "team_member_default": "editor",
    "stranger": None,
    "anonymous": None,
    "bearer_stranger": None,
}


@dataclass
class World:
    board: Board
    asset: Asset
    stranger_asset: Asset  # the same bytes, on the stranger's own board
    users: dict[str, Any]
    team_id: uuid.UUID
    board_invitation: Any = None
    team_invitation: Any = None
    # Filled in by ``add_jobs`` for the job and result rows only (they cost a job run).
    queued_job: Any = None
    cancelled_job: Any = None
    staged_result: Any = None
    discarded_result: Any = None
    item: Any = None  # an image item on the board (the export rows select it)


JOB_REGION = {"x": 0, "y": 0, "width": 32, "height": 24}
JOB_SPEC = {"mode": "img2img", "engine": "test-echo", "region": JOB_REGION, "seed": 3}


def add_jobs(w: World) -> None:
    """An image under a region, a finished job with two results (one discarded), a queued
    job and a cancelled one, all submitted by the owner."""
    from canvas.boards import iterations
    from canvas.jobs import queue, runner
    from canvas.models import Item, ItemKind, JobState
    from tests.jobs import engines  # noqa: F401  (registers the test engines)

    owner = w.users["owner"]
    Item.objects.create(board=w.board, kind=ItemKind.IMAGE, asset=w.asset, width=64, height=48, z=1)
    finished = queue.submit_job(w.board, owner, {**JOB_SPEC, "count": 2})
    claim = queue.claim_next("matrix")
    assert claim is not None and claim.job_id == finished.pk
    assert runner.execute(claim.job_id, "matrix") == JobState.SUCCEEDED
    staged, other = list(finished.iterations.order_by("index"))
    w.staged_result = staged
    w.discarded_result = iterations.discard(other, owner)
    w.queued_job = queue.submit_job(w.board, owner, JOB_SPEC)
    w.cancelled_job = queue.cancel_job(queue.submit_job(w.board, owner, JOB_SPEC))


@pytest.fixture
def world(db, media_root) -> World:
    """The board, its asset (with previews generated) and one user per role."""
    users = {name: factories.make_user(name) for name in EFFECTIVE_ROLE if name != "anonymous"}
    users["bearer_stranger"] = users["stranger"]
    team = factories.make_team("Studio", default_board_role=Role.EDITOR)
    TeamMembership.objects.create(team=team, user=users["team_admin"], role=TeamRole.ADMIN)
    for name in ("owner", "editor", "team_member_default"):
        TeamMembership.objects.create(team=team, user=users[name], role=TeamRole.MEMBER)
    board = factories.make_board(
        team,
        "Campaign",
        owner=users["owner"],
        editor=users["editor"],
        reviewer=users["reviewer"],
        viewer=users["viewer"],
    )
    elsewhere = factories.make_team("Elsewhere", admin=users["stranger"])
    stranger_board = factories.make_board(elsewhere, "Theirs", owner=users["stranger"])
    data = factories.png_bytes((300, 200), (10, 120, 200))
    asset = ingest_bytes(board, users["owner"], data, "hero.png")
    stranger_asset = ingest_bytes(stranger_board, users["stranger"], data, "copy.png")
    assert asset.blob_id == stranger_asset.blob_id
    # Directly, not through the dispatcher, which closes the connection (see test_assets).
    build_derivatives(asset.blob_id)
    # Member rows act on "extra" and add "newcomer"; neither is one of the callers.
    extra = factories.make_user("extra")
    BoardMember.objects.create(board=board, user=extra, role=Role.VIEWER)
    TeamMembership.objects.create(team=team, user=extra, role=TeamRole.MEMBER)
    users["extra"] = extra
    factories.make_user("newcomer")
    w = World(board, asset, stranger_asset, users, team.pk)
    w.item = Item.objects.create(board=board, kind=ItemKind.IMAGE, asset=asset, width=30, height=20)
    w.board_invitation = invitations.create_board_invitation(board, users["owner"], "viewer")
    w.team_invitation = invitations.create_team_invitation(team, users["team_admin"], "member")
    return w


def client_for(world: World, role: str) -> Client:
    if role == "anonymous":
        return Client()
    if role == "bearer_stranger":
        _, token = ApiToken.issue(world.users["stranger"])
        return Client(headers={"Authorization": f"Bearer {token}"})
    client = Client()
    client.force_login(world.users[role])
    return client


def png_upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("new.png", factories.png_bytes((30, 30), (1, 2, 3)), "image/png")


# name -> how to call it. Each returns the response.
def call(client: Client, endpoint: str, w: World):
    b, a, sha = w.board.pk, w.asset.pk, w.asset.blob_id
    as_json = {"content_type": "application/json"}
    match endpoint:
        case "list_boards":
            return client.get("/api/v1/boards")
        case "create_board":
            return client.post(
                "/api/v1/boards", json.dumps({"name": "New", "team": str(w.team_id)}), **as_json
            )
        case "get_board":
            return client.get(f"/api/v1/boards/{b}")
        case "rename_board":
            return client.patch(f"/api/v1/boards/{b}", json.dumps({"name": "Renamed"}), **as_json)
        case "archive_board":
            return client.patch(f"/api/v1/boards/{b}", json.dumps({"archived": True}), **as_json)
        case "delete_board":
            return client.delete(f"/api/v1/boards/{b}")
        case "duplicate_board":
            return client.post(f"/api/v1/boards/{b}/duplicate", "", **as_json)
        case "upload_assets":
            return client.post(f"/api/v1/boards/{b}/assets", {"file": [png_upload()]})
        case "list_board_assets":
            return client.get(f"/api/v1/boards/{b}/assets")
        case "list_assets":
            return client.get("/api/v1/assets")
        case "list_assets_of_board":
            return client.get(f"/api/v1/assets?board={b}")
        case "get_asset":
            return client.get(f"/api/v1/assets/{a}")
        case "asset_file":
            return client.get(f"/api/v1/assets/{a}/file")
        case "asset_file_level":
            return client.get(f"/api/v1/assets/{a}/file?level=256")
        case "file_original":
            return client.get(f"/files/{a}/{sha}/original")
        case "file_level":
            return client.get(f"/files/{a}/{sha}/256.webp")
        case "get_engine_fallbacks":
            return client.get(f"/api/v1/boards/{b}/engine-fallbacks")
        case "set_engine_fallbacks":
            from tests.jobs import engines  # noqa: F401  (registers test-echo)

            body = json.dumps({"chain": ["test-echo", "local"]})
            return client.put(f"/api/v1/boards/{b}/engine-fallbacks", body, **as_json)
        case "get_consistency_check":
            from canvas.models import ConsistencyCheck

            check = ConsistencyCheck.objects.create(board=w.board, assets=[str(a)])
            return client.get(f"/api/v1/consistency-checks/{check.pk}")
        case "check_consistency":
            body = json.dumps({"assets": [str(a)], "anchors": {"palette": [str(a)]}})
            return client.post(f"/api/v1/boards/{b}/consistency", body, **as_json)
        case "board_dashboard":
            return client.get(f"/api/v1/dashboard?board={b}")
        case "dashboard_of_the_team":
            return client.get(f"/api/v1/dashboard?team={w.team_id}&granularity=day")
        case "preview_batch":
            from tests.jobs import engines as _registers_test_echo  # noqa: F401

            batch = {"name": "B", "prompt": "p", "engines": ["test-echo"], "targets": [
                {"region": JOB_REGION}]}  # fmt: skip
            return client.post(
                f"/api/v1/boards/{b}/batches?dry_run=1", json.dumps(batch), **as_json
            )
    if endpoint in BATCH_ROWS:
        return call_batches(client, endpoint, w)
    if endpoint in EXPORT_ROWS:
        return call_exports(client, endpoint, w)
    if endpoint in MEMBER_ROWS:
        return call_members(client, endpoint, w)
    return call_jobs(client, endpoint, w)


BATCH_SPEC = {"name": "B", "prompt": "p", "engines": ["test-echo"], "seeds": 2,
              "targets": [{"region": JOB_REGION}]}  # fmt: skip


def call_batches(client: Client, endpoint: str, w: World):
    """Batch rows (canvas/batches/api.py): an image under the region and a running batch of
    the owner's, then the call."""
    from canvas.batches import runs
    from canvas.models import Item, ItemKind
    from tests.jobs import engines  # noqa: F401  (registers test-echo)

    Item.objects.create(board=w.board, kind=ItemKind.IMAGE, asset=w.asset, width=64, height=48, z=1)
    batch, _ = runs.start_batch(w.board, w.users["owner"], BATCH_SPEC)
    b, x = w.board.pk, batch.pk
    as_json = {"content_type": "application/json"}
    match endpoint:
        case "start_batch":
            body = json.dumps(BATCH_SPEC)
            return client.post(f"/api/v1/boards/{b}/batches", body, content_type="application/json")
        case "list_batches":
            return client.get(f"/api/v1/boards/{b}/batches")
        case "get_batch":
            return client.get(f"/api/v1/batches/{x}")
        case "batch_results":
            return client.get(f"/api/v1/batches/{x}/results")
        case "pause_batch" | "resume_batch" | "cancel_batch":
            return client.post(f"/api/v1/batches/{x}/{endpoint.split('_')[0]}")
        case "batch_matrix":
            return client.get(f"/api/v1/batches/{x}/matrix")
        case "approve_best":
            body = json.dumps({"per_cell": 1})
            return client.post(f"/api/v1/batches/{x}/approve-best", body, **as_json)
        case "undo_approval":
            from canvas.review import batch_picks

            approval, _ = batch_picks.approve_best(batch, w.users["owner"], 1)
            return client.post(f"/api/v1/batches/{x}/approvals/{approval.pk}/undo")
        case "rerun_failed" | "rerun_drifted":
            return client.post(f"/api/v1/batches/{x}/{endpoint.replace('_', '-')}")
    raise AssertionError(endpoint)


def call_exports(client: Client, endpoint: str, w: World):
    """Exports (canvas/exports/api.py): a test kind writes the file (tests/exports)."""
    from unittest import mock

    from canvas.exports import kinds
    from canvas.exports.models import Export
    from tests.exports.conftest import FAKE, FakeKind

    b = w.board.pk
    match endpoint:
        case "create_export":
            body = json.dumps({"kind": FAKE, "items": [str(w.item.pk)]})
            with mock.patch.dict(kinds._KINDS, {FAKE: FakeKind(size=10)}):
                return client.post(
                    f"/api/v1/boards/{b}/exports", body, content_type="application/json"
                )
        case "list_exports":
            return client.get(f"/api/v1/boards/{b}/exports")
        case "get_export":
            export = Export.objects.create(board=w.board, kind=FAKE, selection={"items": []})
            return client.get(f"/api/v1/exports/{export.pk}")
        case "cancel_export":  # someone else's export: only those who manage the board
            export = Export.objects.create(
                board=w.board, kind=FAKE, selection={"items": []}, requested_by=w.users["extra"]
            )
            return client.post(f"/api/v1/exports/{export.pk}/cancel")
    raise AssertionError(endpoint)


def call_members(client: Client, endpoint: str, w: World):
    b, t, extra = w.board.pk, w.team_id, w.users["extra"].pk
    bi, ti = w.board_invitation.invitation.pk, w.team_invitation.invitation.pk
    as_json = {"content_type": "application/json"}

    def send(method: str, url: str, data: Any = None):
        return getattr(client, method)(url, json.dumps(data or {}), **as_json)

    match endpoint:
        case "list_board_members":
            return client.get(f"/api/v1/boards/{b}/members")
        case "add_board_member":
            return send(
                "post", f"/api/v1/boards/{b}/members", {"user": "newcomer", "role": "viewer"}
            )
        case "change_board_member":
            return send("patch", f"/api/v1/boards/{b}/members/{extra}", {"role": "reviewer"})
        case "remove_board_member":
            return client.delete(f"/api/v1/boards/{b}/members/{extra}")
        case "list_board_invitations":
            return client.get(f"/api/v1/boards/{b}/invitations")
        case "create_board_invitation":
            return send("post", f"/api/v1/boards/{b}/invitations", {"role": "editor"})
        case "revoke_board_invitation":
            return client.delete(f"/api/v1/boards/{b}/invitations/{bi}")
        case "list_teams":
            return client.get("/api/v1/teams")
        case "create_team":
            return send("post", "/api/v1/teams", {"name": "Side project"})
        case "list_team_members":
            return client.get(f"/api/v1/teams/{t}/members")
        case "add_team_member":
            return send("post", f"/api/v1/teams/{t}/members", {"user": "newcomer"})
        case "change_team_member":
            return send("patch", f"/api/v1/teams/{t}/members/{extra}", {"role": "admin"})
        case "remove_team_member":
            return client.delete(f"/api/v1/teams/{t}/members/{extra}")
        case "list_team_invitations":
            return client.get(f"/api/v1/teams/{t}/invitations")
        case "create_team_invitation":
            return send("post", f"/api/v1/teams/{t}/invitations", {"role": "member"})
        case "revoke_team_invitation":
            return client.delete(f"/api/v1/teams/{t}/invitations/{ti}")
    raise AssertionError(endpoint)


def call_jobs(client: Client, endpoint: str, w: World):
    b = w.board.pk
    q, c = w.queued_job.pk, w.cancelled_job.pk
    it, gone = w.staged_result.pk, w.discarded_result.pk

    def post(url: str, data: Any = None):
        return client.post(url, json.dumps(data or {}), content_type="application/json")

    match endpoint:
        case "submit_job":
            return post(f"/api/v1/boards/{b}/jobs", JOB_SPEC)
        case "list_jobs":
            return client.get(f"/api/v1/boards/{b}/jobs")
        case "get_job":
            return client.get(f"/api/v1/jobs/{q}")
        case "cancel_job":
            return post(f"/api/v1/jobs/{q}/cancel")
        case "retry_job":
            return post(f"/api/v1/jobs/{c}/retry")
        case "move_job":
            return post(f"/api/v1/jobs/{q}/move", {"to": "front"})
        case "pause_queue":
            return post(f"/api/v1/boards/{b}/queue/pause")
        case "resume_queue":
            return post(f"/api/v1/boards/{b}/queue/resume")
        case "list_results":
            return client.get(f"/api/v1/boards/{b}/iterations")
        case "result_lineage":
            return client.get(f"/api/v1/iterations/{it}/lineage")
        case "apply_result":
            return post(f"/api/v1/iterations/{it}/apply")
        case "apply_results":
            return post(f"/api/v1/boards/{b}/iterations/apply", {"iterations": [str(it)]})
        case "discard_result":
            return post(f"/api/v1/iterations/{it}/discard")
        case "restore_result":
            return post(f"/api/v1/iterations/{gone}/restore")
        case "make_result_current":
            return post(f"/api/v1/iterations/{it}/make-current")
        case "rerun_result":
            return post(f"/api/v1/iterations/{it}/rerun")
    raise AssertionError(endpoint)


VIEWERS = {"owner", "editor", "reviewer", "viewer", "team_admin", "team_member_default"}
EDITORS = {"owner", "editor", "team_admin", "team_member_default"}
MANAGERS = {"owner", "team_admin"}
TEAM_MEMBERS = {"owner", "editor", "team_admin", "team_member_default"}
OUTSIDERS = {"stranger", "bearer_stranger"}


def expect(allowed: set[str], ok: int, *, too_low: int = 403, outsider: int = 404):
    """Expected status per role: ``ok`` if allowed, 403 for a role too low, 404 for no role,
    401 for the anonymous caller (API endpoints)."""
    table = {}
    for role in ROLES:
        if role in allowed:
            table[role] = ok
        elif role == "anonymous":
            table[role] = 401
        elif role in OUTSIDERS:
            table[role] = outsider
        else:
            table[role] = too_low
    return table


# The caller's role in the board's team (None: not in it).
TEAM_ROLE = {
    "owner": "member",
    "editor": "member",
    "team_member_default": "member",
    "team_admin": "admin",
}


def team_expect(allowed: set[str], ok: int) -> dict[str, int]:
    """Team routes: ``ok`` if allowed, 403 for other team members, 404 (the team's, which
    reveals nothing) for everyone outside it, 401 for the anonymous caller."""
    table = {}
    for role in ROLES:
        if role in allowed:
            table[role] = ok
        elif role == "anonymous":
            table[role] = 401
        elif role in TEAM_ROLE:
            table[role] = 403
        else:
            table[role] = 404
    return table


def files(allowed: set[str]) -> dict[str, int]:
    # The file routes are plain Django views (session only): no role, no login and a bearer
    # header all get the same 404, never a login redirect that would confirm the file.
    return {role: 200 if role in allowed else 404 for role in ROLES}


MATRIX: dict[str, dict[str, int]] = {
    "list_boards": expect(set(ROLES) - {"anonymous"}, 200),
    # Guests and strangers name a team they are not in: 404, the team is not revealed.
    "create_board": expect(TEAM_MEMBERS, 201, too_low=404),
    "get_board": expect(VIEWERS, 200),
    "rename_board": expect(EDITORS, 200),
    "archive_board": expect(MANAGERS, 200),
    "delete_board": expect(MANAGERS, 204),
    "duplicate_board": expect(EDITORS, 201),
    "upload_assets": expect(EDITORS, 201),
    "list_board_assets": expect(VIEWERS, 200),
    "list_assets": expect(set(ROLES) - {"anonymous"}, 200),
    "list_assets_of_board": expect(VIEWERS, 200),
    "get_asset": expect(VIEWERS, 200),
    "asset_file": expect(VIEWERS, 200),
    "asset_file_level": expect(VIEWERS, 200),
    "file_original": files(VIEWERS),
    "file_level": files(VIEWERS),
    # A board's provider fallback chain (canvas/api_fallbacks.py): view to read, manage to set.
    "get_engine_fallbacks": expect(VIEWERS, 200),
    "set_engine_fallbacks": expect(MANAGERS, 200),
    # Consistency checks (canvas/governance/api.py): review, since a check reads pixels on the
    # server and stores scores; viewers see stored scores where results are shown.
    "check_consistency": expect(VIEWERS - {"viewer"}, 200),
    # A long check's status and results (202 + poll): the same role as asking for it.
    "get_consistency_check": expect(VIEWERS - {"viewer"}, 200),
    # Batch dry run (canvas/batches/api.py): batches make jobs, so edit.
    "preview_batch": expect(EDITORS, 200),
    # Batch runs: start and steer are edits (they make and stop jobs); reading is a view.
    "start_batch": expect(EDITORS, 201),
    "list_batches": expect(VIEWERS, 200),
    "get_batch": expect(VIEWERS, 200),
    "batch_results": expect(VIEWERS, 200),
    "pause_batch": expect(EDITORS, 200),
    "resume_batch": expect(EDITORS, 200),
    # The batch matrix (canvas/review/matrix_api.py): view to read, review to approve the
    # best N and undo it (review decisions), edit to re-run (re-runs make jobs).
    "batch_matrix": expect(VIEWERS, 200),
    "approve_best": expect(VIEWERS - {"viewer"}, 201),
    "undo_approval": expect(VIEWERS - {"viewer"}, 200),
    "rerun_failed": expect(EDITORS, 201),
    "rerun_drifted": expect(EDITORS, 201),
    "cancel_batch": expect(EDITORS, 200),
    # Exports (canvas/exports/api.py): view, since an export holds nothing a viewer cannot
    # already download file by file; a stranger's 404 is the missing export's.
    "create_export": expect(VIEWERS, 202),
    "list_exports": expect(VIEWERS, 200),
    "get_export": expect(VIEWERS, 200),
    "cancel_export": expect(MANAGERS, 200),
    # The operations dashboard (canvas/ops/api.py): a board's numbers to anyone with a role
    # on it; the team's to its members only (guests on one board are told it does not exist).
    "board_dashboard": expect(VIEWERS, 200),
    "dashboard_of_the_team": expect(TEAM_MEMBERS, 200, too_low=404),
    # Jobs and results (canvas/api_jobs.py): view to read, edit for everything else.
    "submit_job": expect(EDITORS, 201),
    "list_jobs": expect(VIEWERS, 200),
    "get_job": expect(VIEWERS, 200),
    "cancel_job": expect(EDITORS, 200),
    "retry_job": expect(EDITORS, 201),
    "move_job": expect(EDITORS, 200),
    "pause_queue": expect(EDITORS, 200),
    "resume_queue": expect(EDITORS, 200),
    "list_results": expect(VIEWERS, 200),
    "result_lineage": expect(VIEWERS, 200),
    "apply_result": expect(EDITORS, 200),
    "apply_results": expect(EDITORS, 200),
    "discard_result": expect(EDITORS, 200),
    "restore_result": expect(EDITORS, 200),
    "make_result_current": expect(EDITORS, 200),
    "rerun_result": expect(EDITORS, 201),
    # Members and invitations (canvas/members/api.py): anyone with a role reads the board's
    # members; owners (team admins included) manage them and the invitation links.
    "list_board_members": expect(VIEWERS, 200),
    "add_board_member": expect(MANAGERS, 201),
    "change_board_member": expect(MANAGERS, 200),
    "remove_board_member": expect(MANAGERS, 204),
    "list_board_invitations": expect(MANAGERS, 200),
    "create_board_invitation": expect(MANAGERS, 201),
    "revoke_board_invitation": expect(MANAGERS, 204),
    # Teams: anyone signed in lists their teams and starts one; members read, admins manage.
    "list_teams": expect(set(ROLES) - {"anonymous"}, 200),
    "create_team": expect(set(ROLES) - {"anonymous"}, 201),
    "list_team_members": team_expect(set(TEAM_ROLE), 200),
    "add_team_member": team_expect({"team_admin"}, 201),
    "change_team_member": team_expect({"team_admin"}, 200),
    "remove_team_member": team_expect({"team_admin"}, 204),
    "list_team_invitations": team_expect({"team_admin"}, 200),
    "create_team_invitation": team_expect({"team_admin"}, 201),
    "revoke_team_invitation": team_expect({"team_admin"}, 204),
}
JOB_ROWS = set(
    list(MATRIX)[list(MATRIX).index("submit_job") : list(MATRIX).index("rerun_result") + 1]
)
BATCH_ROWS = set(
    list(MATRIX)[list(MATRIX).index("start_batch") : list(MATRIX).index("cancel_batch") + 1]
)
MEMBER_ROWS = set(list(MATRIX)[list(MATRIX).index("list_board_members") :])
EXPORT_ROWS = {"create_export", "list_exports", "get_export", "cancel_export"}
TEAM_ROWS = {row for row in MEMBER_ROWS if "team_" in row}

CELLS = [(endpoint, role) for endpoint in MATRIX for role in ROLES]


@pytest.mark.parametrize(("endpoint", "role"), CELLS, ids=[f"{e}-{r}" for e, r in CELLS])
def test_matrix_cell(world, endpoint, role):
    if endpoint in JOB_ROWS:
        add_jobs(world)
    response = call(client_for(world, role), endpoint, world)
    expected = MATRIX[endpoint][role]
    assert response.status_code == expected, (endpoint, role, response.content[:300])
    if expected >= 400:
        body = json.loads(response.content)
        assert body["error"]["code"] and body["error"]["message"]
        if expected == 403:
            # Say which role the caller has and which one they need.
            has = TEAM_ROLE[role] if endpoint in TEAM_ROWS else EFFECTIVE_ROLE[role]
            assert has in body["error"]["message"]
        if expected == 404 and endpoint not in ("create_board",):
            # Nothing in a 404 may mention the board, team or file it guarded.
            assert "Campaign" not in body["error"]["message"]
            assert "Studio" not in body["error"]["message"]
            assert "hero" not in body["error"]["message"]


# The API operation behind each matrix row (None: a file route outside the API).
OPERATION = {
    "list_boards": ("get", "/api/v1/boards"),
    "create_board": ("post", "/api/v1/boards"),
    "get_board": ("get", "/api/v1/boards/{board_id}"),
    "rename_board": ("patch", "/api/v1/boards/{board_id}"),
    "archive_board": ("patch", "/api/v1/boards/{board_id}"),
    "delete_board": ("delete", "/api/v1/boards/{board_id}"),
    "duplicate_board": ("post", "/api/v1/boards/{board_id}/duplicate"),
    "upload_assets": ("post", "/api/v1/boards/{board_id}/assets"),
    "list_board_assets": ("get", "/api/v1/boards/{board_id}/assets"),
    "list_assets": ("get", "/api/v1/assets"),
    "list_assets_of_board": ("get", "/api/v1/assets"),
    "get_asset": ("get", "/api/v1/assets/{asset_id}"),
    "asset_file": ("get", "/api/v1/assets/{asset_id}/file"),
    "asset_file_level": ("get", "/api/v1/assets/{asset_id}/file"),
    "file_original": None,
    "file_level": None,
    "get_engine_fallbacks": ("get", "/api/v1/boards/{board_id}/engine-fallbacks"),
    "set_engine_fallbacks": ("put", "/api/v1/boards/{board_id}/engine-fallbacks"),
    "check_consistency": ("post", "/api/v1/boards/{board_id}/consistency"),
    "get_consistency_check": ("get", "/api/v1/consistency-checks/{check_id}"),
    "preview_batch": ("post", "/api/v1/boards/{board_id}/batches"),
    "start_batch": ("post", "/api/v1/boards/{board_id}/batches"),
    "list_batches": ("get", "/api/v1/boards/{board_id}/batches"),
    "get_batch": ("get", "/api/v1/batches/{batch_id}"),
    "batch_results": ("get", "/api/v1/batches/{batch_id}/results"),
    "pause_batch": ("post", "/api/v1/batches/{batch_id}/pause"),
    "resume_batch": ("post", "/api/v1/batches/{batch_id}/resume"),
    "cancel_batch": ("post", "/api/v1/batches/{batch_id}/cancel"),
    "batch_matrix": ("get", "/api/v1/batches/{batch_id}/matrix"),
    "approve_best": ("post", "/api/v1/batches/{batch_id}/approve-best"),
    "undo_approval": ("post", "/api/v1/batches/{batch_id}/approvals/{approval_id}/undo"),
    "rerun_failed": ("post", "/api/v1/batches/{batch_id}/rerun-failed"),
    "rerun_drifted": ("post", "/api/v1/batches/{batch_id}/rerun-drifted"),
    "create_export": ("post", "/api/v1/boards/{board_id}/exports"),
    "list_exports": ("get", "/api/v1/boards/{board_id}/exports"),
    "get_export": ("get", "/api/v1/exports/{export_id}"),
    "cancel_export": ("post", "/api/v1/exports/{export_id}/cancel"),
    "board_dashboard": ("get", "/api/v1/dashboard"),
    "dashboard_of_the_team": ("get", "/api/v1/dashboard"),
    "submit_job": ("post", "/api/v1/boards/{board_id}/jobs"),
    "list_jobs": ("get", "/api/v1/boards/{board_id}/jobs"),
    "get_job": ("get", "/api/v1/jobs/{job_id}"),
    "cancel_job": ("post", "/api/v1/jobs/{job_id}/cancel"),
    "retry_job": ("post", "/api/v1/jobs/{job_id}/retry"),
    "move_job": ("post", "/api/v1/jobs/{job_id}/move"),
    "pause_queue": ("post", "/api/v1/boards/{board_id}/queue/pause"),
    "resume_queue": ("post", "/api/v1/boards/{board_id}/queue/resume"),
    "list_results": ("get", "/api/v1/boards/{board_id}/iterations"),
    "result_lineage": ("get", "/api/v1/iterations/{iteration_id}/lineage"),
    "apply_result": ("post", "/api/v1/iterations/{iteration_id}/apply"),
    "apply_results": ("post", "/api/v1/boards/{board_id}/iterations/apply"),
    "discard_result": ("post", "/api/v1/iterations/{iteration_id}/discard"),
    "restore_result": ("post", "/api/v1/iterations/{iteration_id}/restore"),
    "make_result_current": ("post", "/api/v1/iterations/{iteration_id}/make-current"),
    "rerun_result": ("post", "/api/v1/iterations/{iteration_id}/rerun"),
    "list_board_members": ("get", "/api/v1/boards/{board_id}/members"),
    "add_board_member": ("post", "/api/v1/boards/{board_id}/members"),
    "change_board_member": ("patch", "/api/v1/boards/{board_id}/members/{user_id}"),
    "remove_board_member": ("delete", "/api/v1/boards/{board_id}/members/{user_id}"),
    "list_board_invitations": ("get", "/api/v1/boards/{board_id}/invitations"),
    "create_board_invitation": ("post", "/api/v1/boards/{board_id}/invitations"),
    "revoke_board_invitation": ("delete", "/api/v1/boards/{board_id}/invitations/{invitation_id}"),
    "list_teams": ("get", "/api/v1/teams"),
    "create_team": ("post", "/api/v1/teams"),
    "list_team_members": ("get", "/api/v1/teams/{team_id}/members"),
    "add_team_member": ("post", "/api/v1/teams/{team_id}/members"),
    "change_team_member": ("patch", "/api/v1/teams/{team_id}/members/{user_id}"),
    "remove_team_member": ("delete", "/api/v1/teams/{team_id}/members/{user_id}"),
    "list_team_invitations": ("get", "/api/v1/teams/{team_id}/invitations"),
    "create_team_invitation": ("post", "/api/v1/teams/{team_id}/invitations"),
    "revoke_team_invitation": ("delete", "/api/v1/teams/{team_id}/invitations/{invitation_id}"),
}


def test_matrix_covers_every_api_endpoint():
    """A new endpoint fails this test until it gets a row in the matrix."""
    from anchorboard.api import api

    schema = api.get_openapi_schema()
    from tests.exports.test_guests import GUEST_EXPORT_OPERATIONS
    from tests.governance.kits.test_api import KIT_OPERATIONS
    from tests.pilot.test_api import PILOT_OPERATIONS
    from tests.review.test_matrix import REVIEW_OPERATIONS
    from tests.webhooks.test_api import WEBHOOK_OPERATIONS

    api_operations = {
        (method, path)
        for path, ops in schema["paths"].items()
        for method in ops
        if not path.startswith("/api/v1/auth/")  # not about boards; see tests/api/test_auth.py
        # review/share endpoints have their own matrix (roles × link permissions)
        and (method, path) not in REVIEW_OPERATIONS
        and (method, path) not in WEBHOOK_OPERATIONS  # team admins only: tests/webhooks
        and (method, path) not in KIT_OPERATIONS  # team roles: tests/governance/kits
        and (method, path) not in GUEST_EXPORT_OPERATIONS  # share links: tests/exports
        and (method, path) not in PILOT_OPERATIONS  # roles and bodies: tests/pilot/test_api
    }
    assert set(OPERATION) == set(MATRIX)
    assert {op for op in OPERATION.values() if op} == api_operations


@pytest.mark.parametrize("role", ROLES)
def test_board_list_and_asset_list_show_the_board_only_to_roles_on_it(world, role):
    client = client_for(world, role)
    boards = client.get("/api/v1/boards")
    assets = client.get("/api/v1/assets")
    if role == "anonymous":
        assert boards.status_code == assets.status_code == 401
        return
    listed = {item["id"]: item["role"] for item in boards.json()["items"]}
    asset_ids = {item["id"] for item in assets.json()["items"]}
    expected_role = EFFECTIVE_ROLE[role]
    if expected_role is None:
        assert str(world.board.pk) not in listed
        assert str(world.asset.pk) not in asset_ids
    else:
        assert listed[str(world.board.pk)] == expected_role
        assert str(world.asset.pk) in asset_ids


@pytest.mark.parametrize("role", [r for r in ROLES if EFFECTIVE_ROLE[r]])
def test_effective_roles_match_canvas_permissions(world, role):
    user = world.users[role]
    assert role_for(user, world.board) == Role(EFFECTIVE_ROLE[role])
    body = client_for(world, role).get(f"/api/v1/boards/{world.board.pk}").json()
    assert body["role"] == EFFECTIVE_ROLE[role]


def test_strangers_404_is_indistinguishable_from_a_missing_board(world):
    client = client_for(world, "bearer_stranger")
    real = client.get(f"/api/v1/boards/{world.board.pk}")
    missing = client.get(f"/api/v1/boards/{uuid.uuid4()}")
    assert real.status_code == missing.status_code == 404
    assert real.json() == missing.json()
    real_asset = client.get(f"/api/v1/assets/{world.asset.pk}")
    missing_asset = client.get(f"/api/v1/assets/{uuid.uuid4()}")
    assert real_asset.status_code == missing_asset.status_code == 404
    assert real_asset.json() == missing_asset.json()


def test_knowing_the_content_hash_does_not_open_another_boards_file(world):
    """The stranger uploaded the same bytes, so they know the sha256 — still a 404."""
    client = client_for(world, "stranger")
    sha = world.asset.blob_id
    own = client.get(f"/files/{world.stranger_asset.pk}/{sha}/original")
    assert own.status_code == 200  # their own copy is fine
    theirs = client.get(f"/files/{world.asset.pk}/{sha}/original")
    unknown = client.get(f"/files/{uuid.uuid4()}/{sha}/original")
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json() == unknown.json()
    assert client.get(f"/files/{world.asset.pk}/{sha}/256.webp").status_code == 404
    assert client.get(f"/api/v1/assets/{world.asset.pk}/file").status_code == 404


def test_right_asset_wrong_hash_is_404_even_for_the_owner(world):
    client = client_for(world, "owner")
    wrong = "0" * 64
    assert client.get(f"/files/{world.asset.pk}/{wrong}/original").status_code == 404
    # and the stranger's asset id with the owner's (identical) hash is not the owner's file
    sha = world.asset.blob_id
    assert client.get(f"/files/{world.stranger_asset.pk}/{sha}/original").status_code == 404


def test_denied_writes_change_nothing(world):
    before = (Board.objects.count(), Asset.objects.count(), BoardMember.objects.count())
    for role in ("viewer", "reviewer", "stranger", "anonymous"):
        client = client_for(world, role)
        for endpoint in ("rename_board", "archive_board", "delete_board", "upload_assets"):
            assert call(client, endpoint, world).status_code >= 400
    world.board.refresh_from_db()
    assert world.board.name == "Campaign" and world.board.archived_at is None
    assert (Board.objects.count(), Asset.objects.count(), BoardMember.objects.count()) == before
