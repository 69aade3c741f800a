"""The OpenAPI schema and the browsable docs are served and list every endpoint."""

from __future__ import annotations

import pytest
from django.test import Client

from canvas import api_jobs
from canvas.protocol import jobs
from tests.governance.kits.test_api import KIT_OPERATIONS

pytestmark = pytest.mark.django_db

EXPECTED = {
    ("post", "/api/v1/auth/token"),
    ("delete", "/api/v1/auth/token"),
    ("get", "/api/v1/boards"),
    ("post", "/api/v1/boards"),
    ("get", "/api/v1/boards/{board_id}"),
    ("patch", "/api/v1/boards/{board_id}"),
    ("delete", "/api/v1/boards/{board_id}"),
    ("post", "/api/v1/boards/{board_id}/duplicate"),
    ("post", "/api/v1/boards/{board_id}/assets"),
    ("get", "/api/v1/boards/{board_id}/assets"),
    ("get", "/api/v1/assets"),
    ("get", "/api/v1/assets/{asset_id}"),
    ("get", "/api/v1/assets/{asset_id}/file"),
} | KIT_OPERATIONS  # the kits' one list (tests/governance/kits/test_api.py)


def test_schema_lists_every_endpoint():
    response = Client().get("/api/v1/schema")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Anchorboard API"
    listed = {(m, p) for p, ops in schema["paths"].items() for m in ops}
    assert listed >= EXPECTED, EXPECTED - listed


def test_upload_is_documented_as_multipart_with_repeatable_file_field():
    schema = Client().get("/api/v1/schema").json()
    body = schema["paths"]["/api/v1/boards/{board_id}/assets"]["post"]["requestBody"]
    field = body["content"]["multipart/form-data"]["schema"]["properties"]["file"]
    assert field["type"] == "array" and field["items"]["format"] == "binary"


def test_schema_documents_both_ways_to_authenticate():
    schemes = Client().get("/api/v1/schema").json()["components"]["securitySchemes"]
    kinds = {(s["type"], s.get("scheme") or s.get("in")) for s in schemes.values()}
    assert ("http", "bearer") in kinds
    assert ("apiKey", "cookie") in kinds


def test_docs_page_is_served_and_loads_the_schema():
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    assert b"/api/v1/schema" in response.content
    # Served from our own static files: the docs work on a machine without internet.
    assert b'src="/static/ninja/swagger-ui-bundle.js"' in response.content


@pytest.mark.parametrize(
    ("api_model", "protocol_model"),
    [("JobOut", "JobData"), ("IterationOut", "IterationData"), ("JobErrorOut", "JobError")],
)
def test_api_job_shapes_name_the_same_fields_as_the_protocol(api_model, protocol_model):
    """The API declares jobs and results again (UUID and datetime types for its OpenAPI
    schema) but fills them from the same payload functions as the websocket's ``job`` and
    ``iteration`` messages: a field added to one declaration must be added to the other."""
    api_fields = set(getattr(api_jobs, api_model).model_fields)
    assert api_fields == set(getattr(jobs, protocol_model).model_fields)
