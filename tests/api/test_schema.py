"""The OpenAPI schema and the browsable docs are served and list every endpoint."""

from __future__ import annotations

import types
import typing
import uuid
from datetime import datetime

import pytest
from django.test import Client

from canvas import api_jobs
from canvas.exports import api as exports_api
from canvas.governance import api as governance_api
from canvas.protocol import exports, governance, jobs
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


# The API's job, result and export schemas and their twins in canvas.protocol (docs/architecture.md
# "API schemas and protocol models": both are kept, this test keeps them in step).
TWINS = [
    (api_jobs.JobOut, jobs.JobData),
    (api_jobs.IterationOut, jobs.IterationData),
    (api_jobs.JobErrorOut, jobs.JobError),
    (governance_api.ImageConsistencyOut, governance.Consistency),
    (governance_api.FlagOut, governance.DriftFlag),
    (exports_api.ExportOut, exports.ExportData),
    (exports_api.ExportErrorOut, exports.ExportError),
]
# Always set (the row's creation time): the API promises a value; the protocol's payload
# helper formats every timestamp alike and declares them all nullable.
API_NEVER_NULL = {("JobOut", "queued_at"), ("IterationOut", "created_at")}


def wire_shape(annotation) -> object:
    """An annotation as JSON carries it: UUIDs and datetimes are strings, an API schema is
    its protocol twin, a union is the set of its members."""
    twins = {api: protocol for api, protocol in TWINS}
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return frozenset(wire_shape(arg) for arg in typing.get_args(annotation))
    if typing.get_origin(annotation) is not None:  # list[...], dict[...]
        args = tuple(wire_shape(arg) for arg in typing.get_args(annotation))
        return (typing.get_origin(annotation), args)
    if annotation in (uuid.UUID, datetime):
        return str
    return twins.get(annotation, annotation)


@pytest.mark.parametrize(("api_model", "protocol_model"), TWINS, ids=lambda m: m.__name__)
def test_api_job_shapes_declare_what_the_protocol_declares(api_model, protocol_model):
    """The API declares jobs and results again (UUID and datetime types for its OpenAPI
    schema) but fills them from the same payload functions as the websocket's ``job`` and
    ``iteration`` messages: a field added to, or retyped in, one declaration must be in the
    other too."""
    api_fields = api_model.model_fields
    protocol_fields = protocol_model.model_fields
    assert set(api_fields) == set(protocol_fields)
    for name, field in api_fields.items():
        expected = wire_shape(protocol_fields[name].annotation)
        if (api_model.__name__, name) in API_NEVER_NULL:
            expected = frozenset(expected) - {type(None)}
            expected = next(iter(expected)) if len(expected) == 1 else expected
        assert wire_shape(field.annotation) == expected, name
