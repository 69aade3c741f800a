"""Readable protocol errors: a failed validation as one sentence naming the field.

Kept apart from the codec so that message modules (``jobs.parse_job_spec``) can phrase
their errors the same way without importing the codec, which imports the catalog of every
message. Nothing here depends on a particular message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from canvas.protocol.types import ProtocolError

# Tags of nested discriminated unions: pydantic puts them in an error's location.
_NESTED_TAGS = frozenset({"create", "update", "delete"})
_REASONS = {
    "missing": "is required",
    "extra_forbidden": "is not a known field",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dict_type": "must be an object",
    "list_type": "must be a list",
    "string_type": "must be text",
    "bool_type": "must be true or false",
    "int_type": "must be a whole number",
    "float_type": "must be a number",
}


def shown(value: str, limit: int = 40) -> str:
    """Part of a client's string, safe to put in a reply and a log line."""
    return value[:limit].encode("utf-8", "backslashreplace").decode("utf-8")


def error_from_validation(exc: ValidationError, kind: str) -> ProtocolError:
    """The first problem of a failed validation, as one sentence naming the field."""
    problem = exc.errors(include_url=False)[0]
    loc = [part for part in problem["loc"]]
    reason = _reason(problem)
    if problem["type"] in ("union_tag_invalid", "union_tag_not_found"):
        loc.append(str(problem.get("ctx", {}).get("discriminator", "")).strip("'\""))
    where = _path(kind, loc)
    joiner = " " if reason.split(" ", 1)[0] in ("must", "is", "has", "needs") else ": "
    if reason[:1] in ("'", '"'):  # names the refused value: "role 'mood' is unknown"
        joiner = " "
    if not where:
        return ProtocolError(f"{reason[:1].upper()}{reason[1:]}.")
    return ProtocolError(f"{where}{joiner}{reason}.")


def _path(kind: str, loc: list[Any]) -> str:
    parts: list[str] = []
    previous: Any = None
    for part in loc:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        elif not (isinstance(previous, int) and part in _NESTED_TAGS):
            parts.append(f".{shown(str(part))}")
        previous = part
    path = "".join(parts).lstrip(".")
    if kind and not (loc and loc[0] == kind):
        path = f"{kind}.{path}" if path else kind
    return path


def _reason(problem: Mapping[str, Any]) -> str:
    kind = problem["type"]
    ctx = problem.get("ctx") or {}
    if kind == "protocol":
        return str(problem["msg"])
    if kind == "too_short":
        return f"must hold at least {ctx.get('min_length')} entries"
    if kind == "too_long":
        return f"must hold at most {ctx.get('max_length')} entries"
    if kind == "union_tag_invalid":
        return f"must be one of {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return "is required"
    if kind == "literal_error":
        return f"must be {ctx.get('expected')}"
    if kind in _REASONS:
        return _REASONS[kind]
    message = str(problem["msg"]).removeprefix("Value error, ")
    return message[:1].lower() + message[1:]
