"""Content Credentials on exported files (assets/exports/credentials.py): the option, what
the manifest says, and signing a file on its way into an export.

Option ``content_credentials`` (true/false) of the png and zip kinds. Default: on when this
server has a signing identity (a configured certificate, or outside production the
throwaway development one), off otherwise; asking for it where there is none is refused.
Turn it off for files a provider already signed (their manifest is not carried over as a
parent ingredient; docs/exports.md).

Only PNG and JPEG files **a job made** are signed: ``c2pa.created`` with the IPTC source
type ``trainedAlgorithmicMedia``, the engine and model, and the anchors the job used as
ingredients with their role and SHA-256. An upload, or a frame's composite, goes out
unsigned: nothing here can attest how it was made. Every signed file is read back with
c2pa's reader before it is handed out (``sign_and_check``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import tempfile
from collections.abc import Callable
from typing import IO, Any, BinaryIO, cast

from assets import storage
from assets.exports.credentials import (
    CredentialIngredient,
    CredentialsError,
    Generation,
    MimeType,
    sign_and_check,
    signing_identity,
)
from assets.exports.manifest import Provenance
from assets.exports.package import CHUNK, PackageError
from assets.models import Blob
from canvas.exports.kinds import InvalidExport
from foundation.errors import AppError

OPTION = "content_credentials"
SIGNED_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}
# Ingredient formats c2pa reads; an anchor in another format is left out of the manifest
# (its hash is still in the package manifest).
INGREDIENT_TYPES = {"image/png", "image/jpeg", "image/webp", "image/tiff", "image/gif"}
SPOOL_BYTES = 16 * 1024 * 1024


class CredentialsFailed(AppError):
    status = 500
    code = "content_credentials_failed"


def wanted(options: dict[str, Any]) -> bool:
    """Whether this export signs what it can; refuses a bad value, or ``true`` where the
    server has no signing identity."""
    value = options.get(OPTION)
    if value is None:
        return _identity_or_none() is not None
    if not isinstance(value, bool):
        raise InvalidExport(f"{OPTION} must be true or false.")
    if value and _identity_or_none() is None:
        raise InvalidExport(
            "This server has no Content Credentials certificate (ANCHORBOARD_C2PA_CERT_PATH), "
            f"so it cannot sign: export with {OPTION} false."
        )
    return value


def _identity_or_none() -> Any:
    try:
        return signing_identity()
    except CredentialsError as exc:  # a half-configured certificate: say so, do not sign
        raise InvalidExport(str(exc)) from None


def generation_of(record: Provenance, title: str) -> Generation | None:
    """What a signed file's manifest says, from its package provenance; None for a file
    no job made (not signed)."""
    if record.job is None:
        return None
    blobs = {
        blob.sha256: blob
        for blob in Blob.objects.filter(pk__in=[a.sha256 for a in record.anchors if a.sha256])
    }
    ingredients = []
    for anchor in record.anchors:
        blob = blobs.get(anchor.sha256)
        if blob is None or blob.mime_type not in INGREDIENT_TYPES:
            continue
        ingredients.append(
            CredentialIngredient(
                title=anchor.name or anchor.role or "anchor",
                role=anchor.role,
                mime_type=blob.mime_type,
                open=_opener(blob.storage_key),
                sha256=anchor.sha256,
            )
        )
    return Generation(
        title=title,
        engine=record.engine or "unknown engine",
        model=record.model,
        ingredients=ingredients,
    )


def _opener(key: str) -> Callable[[], IO[bytes]]:
    return lambda: storage.open_file(key)


def sign_into(source: BinaryIO, out: BinaryIO, pillow_format: str, generation: Generation) -> None:
    """Copy the PNG or JPEG ``source`` (seekable, at its start) into ``out`` signed."""
    identity = _identity_or_none()
    if identity is None:
        raise CredentialsFailed("Content Credentials were asked for but nobody signs here.")
    try:
        sign_and_check(
            source, out, cast(MimeType, SIGNED_TYPES[pillow_format]), generation, identity
        )
    except CredentialsError as exc:
        raise CredentialsFailed(str(exc)) from None


def signing_opener(blob: Blob, generation: Generation) -> Callable[[str], IO[bytes]]:
    """A package entry's ``open_named``: the stored file, signed under its package name."""
    return lambda name: signed_copy(
        lambda: storage.open_file(blob.storage_key),
        blob.format.upper(),
        dataclasses.replace(generation, title=name),
        blob.sha256,
    )


def signed_copy(
    opener: Callable[[], IO[bytes]],
    pillow_format: str,
    generation: Generation,
    expected_sha256: str,
) -> IO[bytes]:
    """The file ``opener`` gives, signed, in a temporary file (in memory up to 16 MB) at
    its start; for a package entry. The stored bytes are checked against
    ``expected_sha256`` before they are signed (the package then hashes the signed copy)."""
    # Returned open: the package writer reads and closes it.
    signed = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
    digest = hashlib.sha256()
    with opener() as source, tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as copy:
        for chunk in iter(lambda: source.read(CHUNK), b""):
            digest.update(chunk)
            copy.write(chunk)
        if digest.hexdigest() != expected_sha256:
            raise PackageError(
                f"{generation.title}: the stored file does not match its SHA-256 "
                f"({digest.hexdigest()[:12]}… instead of {expected_sha256[:12]}…)."
            )
        copy.seek(0)
        sign_into(cast(BinaryIO, copy), cast(BinaryIO, signed), pillow_format, generation)
    signed.seek(0)
    return cast(IO[bytes], signed)
