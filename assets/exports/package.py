"""ZIP packages of delivered files with their provenance, streamed.

``write_package`` reads each file from a file-like source in ``CHUNK`` pieces and writes it
into the archive as it goes (``zipfile.ZipFile.open(name, "w")``, ZIP64 always on), hashing
and counting on the way: nothing holds a whole file or the archive in memory, whatever
their size. ``out`` may be a file, a storage upload stream or any writable object; when
it cannot seek, zipfile writes data descriptors after each member instead of patching
headers. Per file a JSON sidecar follows it; ``manifest.json`` and ``manifest.csv`` close
the archive (they need every file's hash). Media are stored (PNG, JPEG, WebP and TIFF are
compressed already); text is deflated.

File names come from a template (``DEFAULT_TEMPLATE``) filled per file, made safe for
every file system and unique within the package.

Must not import Django or ``canvas``.
"""

from __future__ import annotations

import hashlib
import re
import string
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any, BinaryIO

from assets.exports.manifest import (
    ManifestRecord,
    Provenance,
    manifest_csv,
    manifest_json,
    sidecar_json,
    sidecar_name,
)

DEFAULT_TEMPLATE = "{campaign}_{variant}_{seed}_{w}x{h}"
TEMPLATE_FIELDS = frozenset(
    {"campaign", "variant", "seed", "w", "h", "asset", "engine", "board", "frame", "index"}
)
CHUNK = 1024 * 1024
MAX_NAME = 120  # characters before the extension; well under every file system's 255 bytes
MANIFEST_NAMES = ("manifest.json", "manifest.csv")
_COMPRESSED = {"png", "jpg", "jpeg", "webp", "tif", "tiff", "psd", "pdf", "zip", "avif", "gif"}
# Names Windows refuses whatever the extension.
_RESERVED = {"con", "prn", "aux", "nul"} | {f"{p}{n}" for p in ("com", "lpt") for n in range(1, 10)}


class PackageError(ValueError):
    """A package cannot be made as asked (the message says why)."""


@dataclass(frozen=True)
class PackageEntry:
    """One file to deliver: where its bytes come from, what it is, how to name it.

    ``open`` returns a readable binary file-like (closed by the writer after use);
    ``open_named``, when given, is called instead with the file's name in the package (a
    file signed on its way in records that name). ``naming`` fills the template
    (``campaign``, ``variant``, ``seed``, ``w``, ``h``, …); ``extension`` without the dot.
    ``expected_sha256``, when known (a stored blob's hash), is checked against the bytes
    read.
    """

    open: Callable[[], IO[bytes]]
    provenance: Provenance
    extension: str
    naming: Mapping[str, Any] = field(default_factory=dict)
    expected_sha256: str | None = None
    open_named: Callable[[str], IO[bytes]] | None = None


def check_template(template: str) -> None:
    """Refuse a template with unknown or positional fields, or none at all."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        raise PackageError(f"The naming template {template!r} is not valid: {exc}.") from exc
    unknown = sorted({name for name in names if name not in TEMPLATE_FIELDS})
    if unknown or not names:
        allowed = ", ".join("{" + name + "}" for name in sorted(TEMPLATE_FIELDS))
        raise PackageError(
            f"The naming template {template!r} uses {', '.join(unknown) or 'no field'}; "
            f"templates may use {allowed}."
        )


def _clean(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_text)
    return re.sub(r"-{2,}", "-", cleaned).strip("-._")


def safe_stem(text: str) -> str:
    """``text`` as a file name stem safe on Windows, macOS and Linux (ASCII letters,
    digits, ``-``, ``_`` and ``.``; accents dropped; no leading dot; never empty)."""
    cleaned = _clean(text)[:MAX_NAME].rstrip("-._")
    if not cleaned:
        return "file"
    if cleaned.split(".")[0].lower() in _RESERVED:
        cleaned = "_" + cleaned
    return cleaned


class FileNamer:
    """Fills the template per file and keeps names unique in a package (``-2``, ``-3`` …,
    compared case-insensitively, as macOS and Windows do)."""

    def __init__(self, template: str = DEFAULT_TEMPLATE, reserved: Iterable[str] = ()):
        check_template(template)
        self.template = template
        self.taken = {name.lower() for name in reserved}

    def name(self, naming: Mapping[str, Any], extension: str) -> str:
        # Each value is cleaned on its own, so "B:<final>?" is "B-final" and the
        # template's own separators stay where they are.
        values = {key: "" for key in TEMPLATE_FIELDS} | {
            key: "" if value is None else _clean(str(value)) for key, value in naming.items()
        }
        stem = safe_stem(self.template.format_map(values))
        suffix = "." + safe_stem(extension).lower() if extension else ""
        candidate, number = stem + suffix, 1
        while candidate.lower() in self.taken or sidecar_name(candidate).lower() in self.taken:
            number += 1
            candidate = f"{stem}-{number}{suffix}"
        self.taken.add(candidate.lower())
        self.taken.add(sidecar_name(candidate).lower())
        return candidate


def write_package(
    out: BinaryIO,
    entries: Iterable[PackageEntry],
    *,
    template: str = DEFAULT_TEMPLATE,
    package: Mapping[str, Any] | None = None,
    sidecars: bool = True,
    progress: Callable[[int, int], None] | None = None,
    modified: datetime | None = None,
) -> list[ManifestRecord]:
    """Stream ``entries`` into a ZIP on ``out`` with sidecars and the manifest.

    ``entries`` may be a generator (read once, in order). ``progress(files, bytes)`` is
    called after each file. Every member is dated ``modified`` (default: now, UTC), so
    the same inputs and date give the same archive. Returns the manifest's records.
    Raises ``PackageError`` when a file's bytes do not match its ``expected_sha256`` (the
    archive is then incomplete and must be discarded).
    """
    namer = FileNamer(template, reserved=MANIFEST_NAMES)
    moment = (modified or datetime.now(UTC)).timetuple()[:6]
    stamp = (max(1980, moment[0]), *moment[1:])
    records: list[ManifestRecord] = []
    written = 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for index, entry in enumerate(entries, start=1):
            name = namer.name({"index": index, **entry.naming}, entry.extension)
            record = _write_member(archive, _info(name, stamp, entry.extension), entry)
            records.append(record)
            written += record.size
            if sidecars:
                archive.writestr(_info(sidecar_name(name), stamp), sidecar_json(record))
            if progress is not None:
                progress(index, written)
        archive.writestr(_info("manifest.json", stamp), manifest_json(records, package))
        archive.writestr(_info("manifest.csv", stamp), manifest_csv(records))
    return records


def _info(name: str, stamp: tuple, extension: str = "json") -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=stamp)
    stored = extension.lower() in _COMPRESSED
    info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _write_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, entry: PackageEntry
) -> ManifestRecord:
    digest, size = hashlib.sha256(), 0
    opened = entry.open_named(info.filename) if entry.open_named else entry.open()
    with opened as source, archive.open(info, "w", force_zip64=True) as member:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            member.write(chunk)
            size += len(chunk)
    sha256 = digest.hexdigest()
    if entry.expected_sha256 and entry.expected_sha256.lower() != sha256:
        raise PackageError(
            f"{info.filename}: the bytes read hash to {sha256}, "
            f"not the stored {entry.expected_sha256}."
        )
    return ManifestRecord(info.filename, size, sha256, entry.provenance)
