"""A real server's memory while it takes (or refuses) big uploads, measured from outside.

One ``manage.py serve`` subprocess (Daphne + Django + embedded workers, the code path
people run) on a throwaway data folder; its peak RSS (VmHWM, reset before each request
through /proc/<pid>/clear_refs) is compared with its RSS just before the request. Bodies
are generated while they are sent, so the test itself holds a few hundred KB at a time.

Before the fix, the same 100 MB anonymous upload grew the server by ~1.3 GB (Twisted parsed
the multipart body with the ``email`` package, then Daphne queued all of it in memory).
"""

from __future__ import annotations

import functools
import socket

import pytest

from tests.assets.live_server import measure, padded_jpeg, start_server, stop_server

MB = 1024 * 1024
LIMIT_MIB = 64

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def server():
    live = start_server()
    try:
        yield live
    finally:
        stop_server(live)


def test_an_editor_uploading_180_mb_costs_the_server_little_memory(server):
    result = measure(
        server, lambda: server.upload(server.editor_token, padded_jpeg(180 * MB), 180 * MB)
    )

    assert result.reply.status == 201, result.reply.body[:300]
    item = result.reply.json()["items"][0]
    assert item["size_bytes"] == 180 * MB
    assert result.growth_mib <= LIMIT_MIB, f"server grew by {result.growth_mib:.0f} MiB"


def test_an_anonymous_100_mb_upload_is_refused_before_its_body_is_read(server):
    result = measure(server, lambda: server.upload(None, padded_jpeg(100 * MB), 100 * MB))

    assert result.reply.status == 401
    assert result.reply.json()["error"]["code"] == "not_authenticated"
    assert result.growth_mib <= LIMIT_MIB, f"server grew by {result.growth_mib:.0f} MiB"
    # The answer came while the client was still sending: at most what the kernel's socket
    # buffers took (a few MB), never the body.
    assert result.reply.sent < 16 * MB


def test_a_viewer_is_refused_before_the_body_is_read(server):
    result = measure(
        server, lambda: server.upload(server.viewer_token, padded_jpeg(50 * MB), 50 * MB)
    )

    assert result.reply.status == 403
    assert "at least editor" in result.reply.json()["error"]["message"]
    assert result.reply.sent < 16 * MB


def test_a_declared_length_over_the_limit_is_refused_before_reading(server):
    result = measure(
        server, lambda: server.upload(server.editor_token, padded_jpeg(210 * MB), 210 * MB)
    )

    assert result.reply.status == 413
    error = result.reply.json()["error"]
    assert error["code"] == "file_too_large"
    assert "210 MB" in error["message"] and "200 MB" in error["message"]
    assert result.reply.sent < 16 * MB
    assert result.growth_mib <= LIMIT_MIB


def test_a_chunked_body_is_cut_off_once_it_passes_the_limit(server):
    """205 MB of a body that never ends: only a server that cuts off at the limit answers."""
    send = functools.partial(
        server.upload, server.editor_token, padded_jpeg(205 * MB), None, complete=False, timeout=90
    )
    result = measure(server, send)

    assert result.reply.status == 413
    assert result.reply.json()["error"]["code"] == "file_too_large"
    assert result.growth_mib <= LIMIT_MIB


def test_a_chunked_upload_within_the_limit_is_stored(server):
    reply = server.upload(server.editor_token, padded_jpeg(3 * MB), None)

    assert reply.status == 201, reply.body[:300]
    assert reply.json()["items"][0]["size_bytes"] == 3 * MB


def test_a_json_body_over_its_limit_is_refused_with_the_api_error_shape(server):
    body = b'{"name": "' + b"x" * (600 * 1024) + b'"}'
    headers = {"Authorization": f"Bearer {server.editor_token}", "Content-Type": "application/json"}

    declared = server.request(
        "POST", "/api/v1/boards", headers=headers, body=iter([body]), length=len(body)
    )
    chunked = server.request(
        "POST", "/api/v1/boards", headers=headers, body=iter([body]), length=None
    )

    for reply in (declared, chunked):
        assert reply.status == 413
        error = reply.json()["error"]
        assert error["code"] == "request_too_large"
        assert "512 KB" in error["message"]


def _expect_continue(server, token: str | None, body: bytes) -> tuple[bytes, bytes]:
    """Headers with ``Expect: 100-continue``; the body only if the server says continue."""
    boundary = "expect-boundary"
    form = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + body
        + f"\r\n--{boundary}--\r\n".encode()
    )
    head = [
        f"POST /api/v1/boards/{server.board}/assets HTTP/1.1",
        f"Host: 127.0.0.1:{server.port}",
        f"Content-Type: multipart/form-data; boundary={boundary}",
        f"Content-Length: {len(form)}",
        "Expect: 100-continue",
        "Connection: close",
    ]
    if token:
        head.append(f"Authorization: Bearer {token}")
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        first = sock.recv(65536)
        if first.startswith(b"HTTP/1.1 100"):
            sock.sendall(form)
        rest = b""
        while chunk := sock.recv(65536):
            rest += chunk
    return first, rest


def test_expect_100_continue_is_answered_only_after_the_caller_is_checked(server):
    image = b"".join(padded_jpeg(20_000))

    refused, _ = _expect_continue(server, None, image)
    accepted, final = _expect_continue(server, server.editor_token, image)

    assert refused.startswith(b"HTTP/1.1 401")  # no "100 Continue" for an anonymous caller
    assert accepted.startswith(b"HTTP/1.1 100 Continue")
    assert b" 201 " in (accepted + final).split(b"\r\n\r\n", 1)[1][:40]


BROWSER_UPLOAD = """async ([url, token, megabytes]) => new Promise((resolve) => {
    const blob = new Blob([new Uint8Array(megabytes * 1024 * 1024)], {type: "image/jpeg"});
    const form = new FormData();
    form.append("file", blob, "big.jpg");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    if (token) xhr.setRequestHeader("Authorization", "Bearer " + token);
    xhr.onload = () => resolve({status: xhr.status, body: xhr.responseText});
    xhr.onerror = () => resolve({status: xhr.status, body: ""});
    xhr.send(form);
})"""


def test_a_browser_reads_the_early_answers_while_still_uploading(server, browser):
    """Chromium's XHR (as frontend/src/upload.ts uses) gets the 413/401, not a network error."""
    page = browser.new_page()
    page.goto(f"http://127.0.0.1:{server.port}/healthz")
    url = f"/api/v1/boards/{server.board}/assets"

    too_big = page.evaluate(BROWSER_UPLOAD, [url, server.editor_token, 210])
    anonymous = page.evaluate(BROWSER_UPLOAD, [url, None, 60])

    assert too_big["status"] == 413 and "file_too_large" in too_big["body"]
    assert anonymous["status"] == 401 and "not_authenticated" in anonymous["body"]
