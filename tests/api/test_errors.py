"""Every failure under /api/v1/ answers {"error": {"code", "message"}} with the right status."""

from __future__ import annotations

import json
import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from canvas.boards import lifecycle as board_services
from tests.api.helpers import assert_error

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("method", ["get", "post", "delete", "patch"])
@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/boards/x/y/z", "/api/v1/v2/boards"])
def test_unknown_routes_are_json_404s(api, method, path):
    error = assert_error(getattr(api, method)(path), 404, "unknown_endpoint")
    assert path in error["message"]
    assert "/api/v1/docs" in error["message"]
    assert "trailing slash" not in error["message"]


def test_trailing_slash_gets_a_hint(api):
    error = assert_error(api.get("/api/v1/boards/"), 404, "unknown_endpoint")
    assert "use /api/v1/boards." in error["message"]


def test_unknown_route_is_404_even_anonymously_and_without_csrf(db):
    client = Client(enforce_csrf_checks=True)
    assert_error(client.post("/api/v1/does-not-exist"), 404, "unknown_endpoint")


def test_wrong_method_is_a_json_405_listing_the_allowed_ones(api):
    response = api.put("/api/v1/boards", "{}", content_type="application/json")
    error = assert_error(response, 405, "method_not_allowed")
    assert "PUT" in error["message"]
    assert "GET" in error["message"] and "POST" in error["message"]
    assert "GET" in response["Allow"]


def test_validation_error_names_the_field(api, team):
    response = api.post("/api/v1/boards", json.dumps({"team": str(team.pk)}), "application/json")
    error = assert_error(response, 422, "invalid_request")
    assert "“name”" in error["message"]
    assert "required" in error["message"]


def test_query_validation_error_names_the_parameter(api):
    error = assert_error(api.get("/api/v1/boards?page=0"), 422, "invalid_request")
    assert "“page”" in error["message"]
    error = assert_error(api.get("/api/v1/boards?team=not-a-uuid"), 422, "invalid_request")
    assert "“team”" in error["message"]


def test_malformed_json_is_a_readable_400(api):
    response = api.post("/api/v1/boards", "{not json", content_type="application/json")
    error = assert_error(response, 400, "invalid_json")
    assert "not valid JSON" in error["message"] and "line 1" in error["message"]


def test_app_error_keeps_its_status_code_and_message(api, team):
    response = api.post("/api/v1/boards", json.dumps({"name": "   "}), "application/json")
    error = assert_error(response, 400, "invalid_board_name")
    assert error["message"] == "A board needs a name."


def test_unexpected_exception_is_a_logged_generic_500(api, board, monkeypatch, caplog):
    def explode(*args, **kwargs):
        raise RuntimeError("database on fire at /secret/path")

    monkeypatch.setattr(board_services, "rename_board", explode)
    with caplog.at_level(logging.ERROR, logger="anchorboard.api"):
        response = api.patch(
            f"/api/v1/boards/{board.pk}", json.dumps({"name": "New"}), "application/json"
        )
    error = assert_error(response, 500, "server_error")
    assert "secret" not in error["message"] and "fire" not in error["message"]
    assert any("database on fire" in (r.exc_text or "") for r in caplog.records)
    board.refresh_from_db()
    assert board.name == "Moodboard"


def test_too_many_files_is_a_clear_400(api, board, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 1
    files = [SimpleUploadedFile(f"{i}.png", b"x", "image/png") for i in range(2)]
    response = api.post(f"/api/v1/boards/{board.pk}/assets", {"file": files})
    error = assert_error(response, 400, "too_many_files")
    assert "smaller groups" in error["message"]


def test_api_root_points_at_docs_and_schema(db):
    body = Client().get("/api/v1/").json()
    assert body["docs"].endswith("/api/v1/docs")
    assert body["schema"].endswith("/api/v1/schema")
