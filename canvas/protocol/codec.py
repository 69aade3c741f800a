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
from canvas.protocol.errors import error_from_validation, shown
from canvas.protocol.types import MessageTooLarge, ProtocolError, ProtocolModel, Wire, check_clean


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


def encode(message: Any, *, dates_as_text: bool = False) -> str:
    """An outgoing message as compact JSON text (``dates_as_text``: ``str()`` what JSON
    cannot hold, for the guest payloads that carry datetimes)."""
    return json.dumps(message, separators=(",", ":"), default=str if dates_as_text else None)


_OPERATION = TypeAdapter(Operation)


def parse_operation(op: Any, where: str = "op") -> Wire:
    """Validate one operation (server code building ops, e.g. applying a job's result);
    returns it normalised, as canvas.boards.operations applies it."""
    try:
        return operation_data(_OPERATION.validate_python(op))
    except ValidationError as exc:
        raise error_from_validation(exc, where) from None
