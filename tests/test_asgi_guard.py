"""The ASGI guard in front of Django: limits and the upload route's checks come first.

These drive ``anchorboard.asgi.application`` in-process (as any ASGI server other than
Anchorboard's Daphne would) and count how many body messages the application pulled: a
refused request must not have pulled one. The same decisions made by the server before it
reads a byte are tested against a real server in tests/assets/test_upload_memory.py.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from django.test import Client as DjangoClient
from django.test import override_settings

from anchorboard.asgi import application
from anchorboard.asgi_guard import ADMISSION_EXTENSION, RequestBodyGuard
from anchorboard.request_admission import MULTIPART_ALLOWANCE, Admission
from canvas.models import ApiToken
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

KB = 1024


class Client:
    """Feeds a body in messages and records what the application pulled and answered."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = list(chunks)
        self.pulled = 0
        self.sent: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        if not self.chunks:
            await asyncio.sleep(3600)  # no more messages until the app gives up
        self.pulled += 1
        chunk = self.chunks.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(self.chunks)}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int:
        return self.sent[0]["status"]

    def json(self) -> dict[str, Any]:
        return json.loads(b"".join(m.get("body", b"") for m in self.sent[1:]))


def call(app, method: str, path: str, chunks: list[bytes], headers: dict[str, str]) -> Client:
    client = Client(chunks)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "scheme": "http",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        + ([] if "host" in headers else [(b"host", b"testserver")]),
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }

    async def run() -> None:
        await asyncio.wait_for(app(scope, client.receive, client.send), timeout=30)

    asyncio.run(run())
    return client


@pytest.fixture
def board_and_tokens():
    editor, viewer = factories.make_user("editor"), factories.make_user("viewer")
    team = factories.make_team(members=[editor])
    board = factories.make_board(team, owner=editor, viewer=viewer)
    return board, ApiToken.issue(editor)[1], ApiToken.issue(viewer)[1]


def upload_headers(token: str | None, length: int | None) -> dict[str, str]:
    headers = {"content-type": "multipart/form-data; boundary=x"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    if length is not None:
        headers["content-length"] = str(length)
    return headers


def test_an_anonymous_upload_is_refused_without_pulling_the_body(board_and_tokens):
    board, _, _ = board_and_tokens
    client = call(
        application,
        "POST",
        f"/api/v1/boards/{board.pk}/assets",
        [b"x" * KB] * 4,
        upload_headers(None, 4 * KB),
    )

    assert client.status == 401
    assert client.json()["error"]["code"] == "not_authenticated"
    assert client.pulled == 0


def test_a_viewer_and_a_stranger_board_are_refused_without_pulling_the_body(board_and_tokens):
    board, _, viewer_token = board_and_tokens
    viewer = call(
        application,
        "POST",
        f"/api/v1/boards/{board.pk}/assets",
        [b"x" * KB],
        upload_headers(viewer_token, KB),
    )
    unknown = call(
        application,
        "POST",
        "/api/v1/boards/00000000-0000-0000-0000-000000000000/assets",
        [b"x" * KB],
        upload_headers(viewer_token, KB),
    )

    assert (viewer.status, viewer.json()["error"]["code"]) == (403, "forbidden")
    assert (unknown.status, unknown.json()["error"]["code"]) == (404, "board_not_found")
    assert viewer.pulled == unknown.pulled == 0


def test_a_kit_reference_upload_by_a_member_who_is_no_kit_manager_is_refused_unread(
    board_and_tokens,
):
    from canvas.governance.kits import services

    board, editor_token, _ = board_and_tokens
    kit = services.create_kit(board.team, None, "Spring")
    member = call(
        application,
        "POST",
        f"/api/v1/brand-kits/{kit.pk}/references",
        [b"x" * KB],
        upload_headers(editor_token, KB),
    )
    assert (member.status, member.json()["error"]["code"]) == (403, "forbidden")
    assert member.pulled == 0


def test_a_bad_token_is_refused_like_the_api_refuses_it(board_and_tokens):
    board, _, _ = board_and_tokens
    client = call(
        application,
        "POST",
        f"/api/v1/boards/{board.pk}/assets",
        [b"x"],
        upload_headers("ab_not-a-token", 1),
    )

    assert client.status == 401
    assert client.json()["error"]["code"] == "invalid_token"
    assert client.pulled == 0


@override_settings(ANCHORBOARD_MAX_UPLOAD_BYTES=2 * KB)
def test_a_declared_length_over_the_upload_limit_is_413_before_reading(board_and_tokens):
    board, editor_token, _ = board_and_tokens
    declared = 2 * KB + MULTIPART_ALLOWANCE + 1
    client = call(
        application,
        "POST",
        f"/api/v1/boards/{board.pk}/assets",
        [b"x"],
        upload_headers(editor_token, declared),
    )

    assert client.status == 413
    error = client.json()["error"]
    assert error["code"] == "file_too_large"
    assert "Upload big files one at a time" in error["message"]
    assert client.pulled == 0


@override_settings(ANCHORBOARD_MAX_REQUEST_BYTES=4 * KB)
def test_a_json_body_over_its_limit_is_413_in_the_api_error_shape(board_and_tokens):
    _, editor_token, _ = board_and_tokens
    headers = {"authorization": f"Bearer {editor_token}", "content-type": "application/json"}
    declared = call(
        application, "POST", "/api/v1/boards", [b"{}"], {**headers, "content-length": str(5 * KB)}
    )
    chunked = call(application, "POST", "/api/v1/boards", [b" " * KB] * 6 + [b"{}"], headers)

    for client in (declared, chunked):
        assert client.status == 413
        assert client.json()["error"]["code"] == "request_too_large"
        assert "4 KB" in client.json()["error"]["message"]
    assert declared.pulled == 0
    # Cut off in the message that passed the limit, not at the end of the body.
    assert chunked.pulled == 5


def test_a_json_body_within_its_limit_reaches_the_endpoint(board_and_tokens):
    _, editor_token, _ = board_and_tokens
    body = json.dumps({"name": "Small enough"}).encode()
    headers = {
        "authorization": f"Bearer {editor_token}",
        "content-type": "application/json",
        "content-length": str(len(body)),
    }
    client = call(application, "POST", "/api/v1/boards", [body], headers)

    assert client.status == 201, client.json()
    assert client.json()["name"] == "Small enough"


def test_a_chunked_body_is_cut_off_when_it_passes_the_limit_the_server_decided():
    """Behind Anchorboard's Daphne the admission comes from the server; the guard counts."""
    reached: list[bool] = []

    async def app(scope, receive, send):
        while (await receive()).get("more_body"):
            pass
        reached.append(True)

    guard = RequestBodyGuard(app)
    client = Client([b"x" * KB] * 10)
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/anything",
        "headers": [],
        "extensions": {ADMISSION_EXTENSION: Admission(limit=3 * KB)},
    }
    asyncio.run(guard(scope, client.receive, client.send))

    assert client.status == 413
    assert client.pulled == 4
    assert reached == [True]  # the app saw a disconnect, and its answer was not sent
    assert len(client.sent) == 2


def session_cookie(user) -> str:
    client = DjangoClient()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}; csrftoken={'x' * 32}"


def test_a_session_upload_needs_the_csrf_header_before_the_body_is_read(board_and_tokens):
    board, _, _ = board_and_tokens
    headers = {**upload_headers(None, KB), "cookie": session_cookie(board.created_by)}
    without = call(application, "POST", f"/api/v1/boards/{board.pk}/assets", [b"x"], headers)

    assert (without.status, without.json()["error"]["code"]) == (403, "csrf_failed")
    assert without.pulled == 0
