"""Endpoints that moved into their rooms (canvas/review, canvas/sharing) keep the OpenAPI
operation ids they had in canvas/api_review.py: clients generated from the schema keep
their method names."""

from __future__ import annotations

from anchorboard.api import api


def operation_id(path: str, method: str) -> str:
    return api.get_openapi_schema()["paths"][f"/api/v1{path}"][method]["operationId"]


def test_review_and_share_link_endpoints_keep_their_operation_ids():
    assert operation_id("/boards/{board_id}/review", "get") == "canvas_api_review_review_list"
    assert operation_id("/boards/{board_id}/share-links", "post") == "canvas_api_review_create_link"
    assert operation_id("/share/{token}/board", "get") == "canvas_api_review_guest_board"


def test_other_endpoints_keep_ninjas_default_ids():
    assert operation_id("/boards/{board_id}/jobs", "post").startswith("canvas_api_jobs_")
