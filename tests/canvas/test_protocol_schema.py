"""One protocol source: the committed schema, docs reference and TypeScript follow the models.

frontend/src/protocol/schema.json and the generated section of docs/protocol.md must be
exactly what ``python manage.py protocol_schema`` writes now (CI also regenerates
frontend/src/protocol/generated.ts from the schema and fails on a diff). The handlers each
declare a permission, and every client message type of each socket has a handler.
"""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from canvas.boardsocket.routes import board_routes
from canvas.permissions import Perm
from canvas.protocol import limits
from canvas.protocol.catalog import BOARD_CLIENT_MESSAGES, GUEST_CLIENT_MESSAGES
from canvas.protocol.schema import (
    DOC_PATH,
    SCHEMA_PATH,
    doc_with_reference,
    protocol_schema,
    schema_text,
)
from canvas.sharing.consumer import guest_routes

GENERATED_TS = SCHEMA_PATH.parent / "generated.ts"


def test_committed_schema_is_what_the_models_declare():
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), (
        "frontend/src/protocol/schema.json is stale: run `python manage.py protocol_schema` "
        "and `npm --prefix frontend run protocol`"
    )


def test_docs_reference_is_current_and_lists_every_message():
    doc = DOC_PATH.read_text(encoding="utf-8")
    assert doc_with_reference(doc) == doc, "run `python manage.py protocol_schema`"
    for kind in {*BOARD_CLIENT_MESSAGES, *GUEST_CLIENT_MESSAGES}:
        assert f"`{kind}`" in doc


def test_the_check_command_fails_on_a_stale_file(tmp_path, monkeypatch):
    from canvas.management.commands import protocol_schema as command

    stale = tmp_path / "schema.json"
    stale.write_text("{}", encoding="utf-8")
    monkeypatch.setattr(command, "SCHEMA_PATH", stale)
    with pytest.raises(CommandError, match="stale"):
        call_command("protocol_schema", "--check")
    assert stale.read_text(encoding="utf-8") == "{}"  # --check writes nothing


def test_generated_typescript_carries_the_server_constants():
    text = GENERATED_TS.read_text(encoding="utf-8")
    constants = protocol_schema()["x-constants"]
    assert f"export const MAX_OPS_PER_BATCH = {limits.MAX_OPS_PER_BATCH};" in text
    assert f"export const SEED_LIMIT = {limits.SEED_LIMIT};" in text
    props = json.dumps(constants["UPDATABLE_PROPS"], separators=(",", ":"))
    assert f"export const UPDATABLE_PROPS = {props} as const;" in text
    for name in ("OpsMessage", "JobSubmitMessage", "GuestWelcomeMessage", "CommentMessage"):
        assert f"export interface {name} " in text


@pytest.mark.parametrize(
    ("routes", "messages"),
    [(board_routes, BOARD_CLIENT_MESSAGES), (guest_routes, GUEST_CLIENT_MESSAGES)],
)
def test_every_client_message_has_a_handler_with_a_permission(routes, messages):
    assert set(routes.table) == set(messages)
    assert all(isinstance(route.perm, Perm) for route in routes.table.values())
    edits = {"ops", "job_submit", "job_cancel", "iteration_apply", "queue_pause"}
    assert all(routes.table[kind].perm == Perm.EDIT for kind in edits & set(routes.table))
