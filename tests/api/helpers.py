"""Assertions shared by the API tests."""

from __future__ import annotations


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The response is ``{"error": {"code", "message"}}`` with this status (and code)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert isinstance(body["error"]["code"], str) and body["error"]["code"]
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]
