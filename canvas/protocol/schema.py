"""The protocol as one JSON Schema document: every message of both sockets in both
directions, plus the constants a client needs (limits, close codes, UPDATABLE_PROPS).

``python manage.py protocol_schema`` writes it to frontend/src/protocol/schema.json, from
which frontend/scripts/generate-protocol.mjs generates frontend/src/protocol/generated.ts,
and rewrites the generated reference section of docs/protocol.md. Tests fail when any of
the three is stale (tests/canvas/test_protocol_schema.py; CI also regenerates the
TypeScript and fails on a diff).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import RootModel
from pydantic.json_schema import models_json_schema

from canvas.models.items import AnchorRole
from canvas.protocol import limits
from canvas.protocol.board import ITEM_DEFAULTS, UPDATABLE_PROPS
from canvas.protocol.catalog import (
    BoardClientMessage,
    BoardServerMessage,
    GuestClientMessage,
    GuestServerMessage,
    by_type,
)

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = ROOT / "frontend" / "src" / "protocol" / "schema.json"
DOC_PATH = ROOT / "docs" / "protocol.md"
DOC_BEGIN = "<!-- BEGIN GENERATED PROTOCOL REFERENCE (python manage.py protocol_schema) -->"
DOC_END = "<!-- END GENERATED PROTOCOL REFERENCE -->"


class BoardClientMessages(RootModel[BoardClientMessage]):
    """What a board socket's client sends."""


class BoardServerMessages(RootModel[BoardServerMessage]):
    """What the server sends on a board socket."""


class GuestClientMessages(RootModel[GuestClientMessage]):
    """What a share-link guest's client sends."""


class GuestServerMessages(RootModel[GuestServerMessage]):
    """What the server sends on a share-link guest's socket."""


ROOTS = (
    (BoardClientMessages, "validation"),
    (BoardServerMessages, "serialization"),
    (GuestClientMessages, "validation"),
    (GuestServerMessages, "serialization"),
)


def constants() -> dict[str, Any]:
    """The plain values clients share with the server."""
    values: dict[str, Any] = {
        name: value
        for name, value in vars(limits).items()
        if name.isupper() and isinstance(value, int | float | str)
    }
    values["UPDATABLE_PROPS"] = list(UPDATABLE_PROPS)
    values["ITEM_DEFAULTS"] = ITEM_DEFAULTS
    values["JOB_ANCHOR_ROLES"] = list(AnchorRole.values)
    values["BOARD_SERVER_MESSAGE_TYPES"] = sorted(by_type(BoardServerMessage))
    values["GUEST_SERVER_MESSAGE_TYPES"] = sorted(by_type(GuestServerMessage))
    return values


def protocol_schema() -> dict[str, Any]:
    _, document = models_json_schema(ROOTS, title="AnchorboardProtocol")  # type: ignore[arg-type]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "AnchorboardProtocol",
        "description": "Every websocket message of Anchorboard (canvas/protocol).",
        "$defs": dict(sorted(document["$defs"].items())),
        "x-constants": constants(),
    }


def schema_text() -> str:
    return json.dumps(protocol_schema(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


# --- docs/protocol.md reference -------------------------------------------------------------


def _type_of(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        return prop["$ref"].rsplit("/", 1)[-1]
    if "const" in prop:
        return json.dumps(prop["const"])
    if "enum" in prop:
        return " \\| ".join(json.dumps(v) for v in prop["enum"])
    for union in ("anyOf", "oneOf"):
        if union in prop:
            return " \\| ".join(_type_of(option) for option in prop[union])
    if prop.get("type") == "array":
        return f"{_type_of(prop.get('items', {}))}[]"
    return str(prop.get("type", "any"))


def _limits_of(prop: dict[str, Any]) -> str:
    parts = []
    for key, label in (
        ("minLength", "≥ {} chars"),
        ("maxLength", "≤ {} chars"),
        ("minimum", "≥ {}"),
        ("maximum", "≤ {}"),
        ("minItems", "≥ {} entries"),
        ("maxItems", "≤ {} entries"),
    ):
        if key in prop and not (key == "minLength" and prop[key] == 0):
            parts.append(label.format(prop[key]))
    for option in prop.get("anyOf", []):
        found = _limits_of(option)
        if found:
            parts.append(found)
    return ", ".join(parts)


def _message_rows(document: dict[str, Any], root: str) -> list[str]:
    defs = document["$defs"]
    rows = []
    for ref in defs[root].get("oneOf", defs[root].get("anyOf", [])):
        name = ref["$ref"].rsplit("/", 1)[-1]
        model = defs[name]
        kinds = model["properties"]["type"]
        kind = ", ".join(f"`{v}`" for v in kinds.get("enum", [kinds.get("const")]))
        required = set(model.get("required", []))
        fields = []
        for field, prop in model["properties"].items():
            if field == "type":
                continue
            text = f"`{field}{'' if field in required else '?'}`: {_type_of(prop)}"
            found = _limits_of(prop)
            fields.append(f"{text} ({found})" if found else text)
        rows.append(f"| {kind} | `{name}` | {'; '.join(fields) or '—'} |")
    return rows


def reference_markdown() -> str:
    """The generated reference section of docs/protocol.md (between the markers)."""
    document = protocol_schema()
    lines = [
        DOC_BEGIN,
        "",
        "Generated from `canvas/protocol` (do not edit by hand; `python manage.py "
        "protocol_schema` rewrites it, and a test fails when it is stale). `?` marks a field "
        "that may be absent.",
        "",
    ]
    for root, title in (
        ("BoardClientMessages", "Board socket, client → server"),
        ("BoardServerMessages", "Board socket, server → client"),
        ("GuestClientMessages", "Share-link guest socket, client → server"),
        ("GuestServerMessages", "Share-link guest socket, server → client"),
    ):
        lines += [f"### {title}", "", "| type | model | fields |", "| --- | --- | --- |"]
        lines += _message_rows(document, root)
        lines.append("")
    lines += ["### Constants", "", "| name | value |", "| --- | --- |"]
    for name, value in document["x-constants"].items():
        lines.append(f"| `{name}` | `{json.dumps(value, ensure_ascii=False)}` |")
    lines += ["", DOC_END]
    return "\n".join(lines)


def doc_with_reference(doc: str) -> str:
    """``doc`` with its generated section replaced (appended when there is none yet)."""
    section = reference_markdown()
    if DOC_BEGIN in doc and DOC_END in doc:
        before = doc[: doc.index(DOC_BEGIN)]
        after = doc[doc.index(DOC_END) + len(DOC_END) :]
        return before + section + after
    return doc.rstrip("\n") + "\n\n## Reference (generated)\n\n" + section + "\n"
