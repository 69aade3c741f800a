"""Frames in and out: bounded decoding, validation against the catalog, readable errors.

A frame is checked in this order, each step bounded whatever the client sends:
its kind (text, not binary), its size (characters, then UTF-8 bytes), its JSON (parsed by
pydantic-core's parser, which does not recurse in Python and refuses nesting deeper than
``MAX_JSON_DEPTH``, NaN and Infinity), then the model of its ``type``. Any failure is a
``ProtocolError`` whose message names the field (``ops[2].set.opacity must be …``) and
carries the ``batch_id`` / ``request_id`` of the message when they can be read, so the
client knows what to roll back. Nothing here raises anything else for client input.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import TypeAdapter, ValidationError
from pydantic_core import from_json

from canvas.protocol import limits
from canvas.protocol.board import Operation, operation_data
from canvas.protocol.catalog import BOARD_CLIENT_MESSAGES
from canvas.protocol.types import MessageTooLarge, ProtocolError, ProtocolModel, Wire, check_clean

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


def decode(text: str | None, *, max_bytes: int = limits.MAX_MESSAGE_BYTES) -> Any:
    """One text frame → JSON data, or ProtocolError / MessageTooLarge."""
    if text is None:
        raise ProtocolError("Messages are JSON text frames, not binary.")
    if len(text) > max_bytes or (
        len(text) * 4 > max_bytes and len(text.encode("utf-8", "surrogatepass")) > max_bytes
    ):
        raise MessageTooLarge(max_bytes)
    try:
        return from_json(text, allow_inf_nan=False)
    except TypeError:  # a str the parser cannot read as UTF-8 (lone surrogates)
        raise ProtocolError("The message is not valid UTF-8 text.") from None
    except ValueError as exc:
        detail = str(exc)
        if "recursion limit" in detail:
            raise ProtocolError(
                f"The message is nested too deeply (more than {limits.MAX_JSON_DEPTH} levels)."
            ) from None
        if "surrogate" in detail or "hex escape" in detail:
            detail += "; strings must be valid Unicode (no unpaired \\ud800–\\udfff escapes)"
        raise ProtocolError(f"The message is not valid JSON ({detail[:200]}).") from None


def parse(
    text: str | None,
    messages: Mapping[str, type[ProtocolModel]] = BOARD_CLIENT_MESSAGES,
    *,
    max_bytes: int = limits.MAX_MESSAGE_BYTES,
) -> Any:
    """Decode and validate one client frame against ``messages`` (type → model)."""
    data = decode(text, max_bytes=max_bytes)
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise ProtocolError("A message must be a JSON object with a string “type”.")
    kind = data["type"]
    model = messages.get(kind)
    if model is None:
        known = ", ".join(sorted(messages))
        raise ProtocolError(f"Unknown message type “{shown(kind)}” (known: {known}).")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = error_from_validation(exc, kind)
    error.batch_id = echo_id(data.get("batch_id")) if "batch_id" in model.model_fields else None
    error.request_id = (
        echo_id(data.get("request_id")) if "request_id" in model.model_fields else None
    )
    raise error


def parse_client_message(text: str | None) -> Any:
    """A board socket's frame → its message model (kept under its old name)."""
    return parse(text)


def echo_id(value: Any) -> str | None:
    """A client-made id worth echoing in an error: a clean string of 1–64 characters."""
    if not isinstance(value, str) or not 0 < len(value) <= limits.MAX_BATCH_ID_LENGTH:
        return None
    try:
        return check_clean(value)
    except ValueError:
        return None


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


def encode(message: Any, *, dates_as_text: bool = False) -> str:
    """An outgoing message as compact JSON text (``dates_as_text``: ``str()`` what JSON
    cannot hold, for the guest payloads that carry datetimes)."""
    return json.dumps(message, separators=(",", ":"), default=str if dates_as_text else None)


_OPERATION = TypeAdapter(Operation)


def parse_operation(op: Any, where: str = "op") -> Wire:
    """Validate one operation (server code building ops, e.g. applying a job's result);
    returns it normalised, as canvas.services.operations applies it."""
    try:
        return operation_data(_OPERATION.validate_python(op))
    except ValidationError as exc:
        raise error_from_validation(exc, where) from None
