"""The registry of export kinds: what each kind accepts and how it writes its file.

A kind is a small class registered with ``register``; the request check and the runner
find it by name. Its contract:

- ``check(board, selection, options)``: refuse what this kind cannot make (wrong item
  kinds, too many items, a bad option) by raising ``InvalidExport`` with a sentence the
  requester can act on. Runs in the request, before anything is queued; must not write.
- ``write(export, out, progress) -> Written``: write the file to ``out`` (a binary file
  on local disk, seekable) with the writers of ``assets.exports``, calling
  ``progress(fraction, message)`` now and then; returns the file's name and MIME type.
  May raise ``AppError`` (the export fails with its code and message); anything else is
  an internal error.

The five names of the API (``ExportKind``) are known from the start; a kind whose writer
has not landed yet is simply not registered, and asking for it is a 400
``export_kind_not_available`` rather than a stand-in file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol

from canvas.exports.models import Export, ExportKind
from foundation.errors import AppError

ProgressFn = Callable[[float, str], None]


class InvalidExport(AppError):
    status = 400
    code = "invalid_export"
    default_message = "This export request cannot be made."


class KindNotAvailable(AppError):
    status = 400
    code = "export_kind_not_available"


@dataclass(frozen=True)
class Written:
    file_name: str
    mime_type: str


class Kind(Protocol):
    @property
    def name(self) -> str: ...

    def check(self, board: Any, selection: dict[str, Any], options: dict[str, Any]) -> None: ...

    def write(self, export: Export, out: BinaryIO, progress: ProgressFn) -> Written: ...


_KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    if kind.name not in ExportKind.values:
        raise ValueError(f"{kind.name!r} is not an export kind of the API ({ExportKind.values})")
    _KINDS[kind.name] = kind
    return kind


def available() -> list[str]:
    return sorted(_KINDS)


def get(name: str) -> Kind:
    """The registered kind ``name``; a 400 naming the problem otherwise."""
    if name not in ExportKind.values:
        raise InvalidExport(
            f"Unknown export kind {name!r}; use one of {', '.join(ExportKind.values)}."
        )
    kind = _KINDS.get(name)
    if kind is None:
        label = ExportKind(name).label
        ready = ", ".join(available()) or "none yet"
        raise KindNotAvailable(
            f"{label} exports are not available on this server yet (available: {ready})."
        )
    return kind
