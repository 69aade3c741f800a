"""The protocol's building blocks: the model base class, the errors, and the field types.

Each field type carries its validation, its limit and its JSON Schema in one declaration,
and says what is wrong in words a person can act on (``Says``). Every string that enters
through a message is checked for NUL characters and lone surrogates (they cannot be stored
in PostgreSQL and break JSON encoders); free-form JSON (``props``, engine ``params``) is
bounded in depth and size and may hold only finite numbers and clean strings.

Nothing here touches the database or the channel layer.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

import annotated_types as at
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError, core_schema

from canvas.protocol import limits
from foundation.errors import AppError


class ProtocolError(AppError):
    """A client message that is not valid protocol; the socket stays open."""

    code = "bad_message"
    default_message = "The board could not understand that message."
    batch_id: str | None = None  # set when the broken message was an identifiable batch
    request_id: str | None = None  # set when the broken message was an identifiable job request


class MessageTooLarge(ProtocolError):
    code = "message_too_large"

    def __init__(self, limit: int = limits.MAX_MESSAGE_BYTES) -> None:
        unit = f"{limit // 1024} KiB" if limit >= 1024 else f"{limit} bytes"
        super().__init__(
            f"That message is too large to send at once (limit {unit}); make it in smaller steps."
        )


class ProtocolModel(BaseModel):
    """Base of every message and payload: strict types (no "12" for 12, no true for 1),
    unknown fields ignored unless a model forbids them, field docstrings in the schema."""

    model_config = ConfigDict(
        strict=True,
        extra="ignore",
        use_attribute_docstrings=True,
        json_schema_serialization_defaults_required=True,
    )

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: Any) -> Any:
        # Fields declared with ``absent()`` are optional in both directions.
        result = handler(schema)
        target = handler.resolve_ref_schema(result)
        for name, prop in target.get("properties", {}).items():
            if prop.pop("x-absent", False):
                prop.pop("default", None)
                if name in target.get("required", []):
                    target["required"].remove(name)
        if "required" in target and not target["required"]:
            del target["required"]
        return result

    def wire(self) -> dict[str, Any]:
        """The JSON-ready dict of this model, as it travels."""
        return self.model_dump(mode="json", exclude_unset=False)


@dataclass(frozen=True)
class Says:
    """Replace any validation error of the annotated type by one readable sentence end
    (``"must be a number between 0 and 1"``); the codec prefixes the field's path."""

    message: str

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.custom_error_schema(
            handler(source), custom_error_type="protocol", custom_error_message=self.message
        )


def invalid(message: str) -> PydanticCustomError:
    """A validation error whose text is ``message`` (a sentence end, like ``Says``)."""
    return PydanticCustomError("protocol", message)


# --- Strings ---------------------------------------------------------------------------------

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def check_clean(value: str) -> str:
    """Refuse NUL characters and lone surrogates (paired surrogates never reach Python)."""
    if _UNSTORABLE.search(value):
        raise invalid("must not contain NUL characters or unpaired surrogates")
    return value


@dataclass(frozen=True)
class Text:
    """A clean string of ``min_length``…``max_length`` characters."""

    max_length: int
    min_length: int = 0
    what: str = "text"

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        if self.min_length:
            says = f"must be {self.what} of {self.min_length}–{self.max_length} characters"
        else:
            says = f"must be {self.what} of at most {self.max_length} characters"
        return core_schema.no_info_after_validator_function(
            check_clean,
            _says(
                core_schema.str_schema(
                    min_length=self.min_length, max_length=self.max_length, strict=True
                ),
                says,
            ),
        )


@dataclass(frozen=True)
class Number:
    """A finite number (ints accepted, booleans not) within ``lo``…``hi``."""

    lo: float
    hi: float
    says: str

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        return _says(
            core_schema.float_schema(ge=self.lo, le=self.hi, allow_inf_nan=False, strict=True),
            self.says,
        )


@dataclass(frozen=True)
class Whole:
    """An integer (not a boolean, not 2.0) within ``lo``…``hi``."""

    lo: int
    hi: int
    says: str = ""

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        says = self.says or f"must be a whole number between {self.lo} and {self.hi}"
        return _says(core_schema.int_schema(ge=self.lo, le=self.hi, strict=True), says)


@dataclass(frozen=True)
class OneOf:
    """One of a fixed set of strings; ``title`` names the type in the schema. ``says`` may
    name the refused value as ``{value}`` ("{value} is unknown")."""

    values: tuple[str, ...]
    title: str | None = None
    says: str = "must be one of"

    @classmethod
    def of(
        cls,
        choices: Any,
        *,
        title: str | None = None,
        empty: bool = False,
        says: str = "must be one of",
    ) -> OneOf:
        """From a Django ``TextChoices`` (the models' enums stay the one list of values)."""
        values = tuple(getattr(choices, "values", choices)) + (("",) if empty else ())
        return cls(values, title, says)

    def check(self, value: Any) -> str:
        if isinstance(value, str) and value in self.values:
            return value
        shown = ", ".join(f"“{choice}”" for choice in self.values)
        refused = repr(value)[:40].encode("utf-8", "backslashreplace").decode("utf-8")
        raise invalid(f"{self.says.replace('{value}', refused)} {shown}")

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(self.check)

    def __get_pydantic_json_schema__(self, schema: Any, handler: Any) -> dict[str, Any]:
        result: dict[str, Any] = {"type": "string", "enum": list(self.values)}
        if self.title:  # a named type in the generated TypeScript
            result["title"] = self.title
            result["x-type-name"] = self.title
        return result


def _says(schema: core_schema.CoreSchema, message: str) -> core_schema.CoreSchema:
    return core_schema.custom_error_schema(
        schema, custom_error_type="protocol", custom_error_message=message
    )


def _normalise_uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise invalid("is not a valid id (a UUID string)") from None


Id = Annotated[
    str,
    at.MaxLen(limits.UUID_TEXT_LENGTH),
    Says("is not a valid id (a UUID string)"),
    AfterValidator(_normalise_uuid),
    WithJsonSchema({"type": "string", "format": "uuid"}),
]
"""An id (items, assets, jobs, results): a UUID string, normalised to lowercase."""

CleanText = Annotated[str, AfterValidator(check_clean)]
"""Any text a person types that the API stores (comment bodies, guest names, labels):
no NUL characters, no unpaired surrogates; its length is limited where it is used."""

Name = Annotated[str, Text(limits.MAX_NAME_LENGTH)]
BatchId = Annotated[str, Text(limits.MAX_BATCH_ID_LENGTH, 1, "a string")]
RequestId = Annotated[str, Text(limits.MAX_REQUEST_ID_LENGTH, 1, "a string")]
Prompt = Annotated[str, Text(limits.MAX_PROMPT_LENGTH)]
EngineName = Annotated[str, Text(limits.MAX_ENGINE_NAME_LENGTH, 1, "an engine name")]

# --- Numbers ---------------------------------------------------------------------------------

_MAX = limits.MAX_COORDINATE
Coordinate = Annotated[float, Number(-_MAX, _MAX, f"must be a finite number within ±{_MAX:.0e}")]
Extent = Annotated[float, Number(0, _MAX, f"must be a finite number from 0 to {_MAX:.0e}")]
Fraction = Annotated[float, Number(0, 1, "must be a number between 0 and 1")]
Revision = Annotated[
    int, Whole(0, limits.MAX_SAFE_INTEGER, "must be a revision (a whole number ≥ 0)")
]
Flag = Annotated[bool, Says("must be true or false")]


# --- Free-form JSON --------------------------------------------------------------------------


def check_free_json(value: dict[str, Any], *, max_bytes: int, max_depth: int) -> dict[str, Any]:
    """Bound a free-form JSON object: depth, size, finite numbers, clean strings.

    Walks the value with an explicit stack (never recursion), so any nesting that the
    parser let through is measured safely.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            if depth > max_depth:
                raise invalid(f"is nested more than {max_depth} levels deep")
            for key, child in node.items():
                if not isinstance(key, str) or _UNSTORABLE.search(key):
                    raise invalid("has a key with NUL characters or unpaired surrogates")
                stack.append((child, depth + 1))
        elif isinstance(node, list):
            if depth > max_depth:
                raise invalid(f"is nested more than {max_depth} levels deep")
            stack.extend((child, depth + 1) for child in node)
        elif isinstance(node, str):
            if _UNSTORABLE.search(node):
                raise invalid("must not contain NUL characters or unpaired surrogates")
        elif isinstance(node, float):
            if not math.isfinite(node):
                raise invalid("must hold finite numbers only")
        elif node is not None and not isinstance(node, bool | int):
            raise invalid("must hold JSON values only")
    if len(json.dumps(value, separators=(",", ":"))) > max_bytes:
        raise invalid(f"is larger than {max_bytes // 1024} KiB")
    return value


def _check_props(value: dict[str, Any]) -> dict[str, Any]:
    return check_free_json(
        value, max_bytes=limits.MAX_PROPS_BYTES, max_depth=limits.MAX_PROPS_DEPTH
    )


Props = Annotated[
    dict[str, Any],
    Says("must be an object"),
    AfterValidator(_check_props),
    Field(description="Free-form item properties (≤ 16 KiB serialised, ≤ 16 levels deep)."),
]


# --- Fields that may be absent ---------------------------------------------------------------

Wire = dict[str, Any]
"""A message or payload as it travels: a JSON-ready dict (built by this package's builders)."""


def absent(description: str | None = None) -> Any:
    """A field that is left out of the message when it does not apply (never ``null``)."""
    return Field(default=None, description=description, json_schema_extra={"x-absent": True})
