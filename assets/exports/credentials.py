"""Content Credentials (C2PA) on exported JPEG and PNG files: sign and verify.

``sign_image`` embeds a C2PA manifest, signed with c2pa-python (the Content Authenticity
Initiative's SDK over c2pa-rs), that says the picture was made by a generative model: a
``c2pa.created`` action with IPTC digital source type ``trainedAlgorithmicMedia``, the
engine as the software agent and the model as its version, and the anchors it was made
from as ``inputTo`` ingredients (with their role). ``verify_image`` reads a file's
manifest back with c2pa-python's reader and says whether it is intact and trusted.

The signing identity is plain data (certificate chain and key in PEM).
``configured_identity`` reads the production one from the files named by
``ANCHORBOARD_C2PA_CERT_PATH``/``ANCHORBOARD_C2PA_KEY_PATH`` (foundation/knobs/);
``signing_identity`` falls back, outside production, to a throwaway one made in memory
(``dev_identity``). ``sign_and_check`` signs and reads the result back, so an export never
hands out a file whose credentials do not hold. Where a provider already signs its output,
signing again on export is optional (docs/exports.md).

Must not import Django models or ``canvas``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO, Literal

import c2pa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from assets.exports.dev_identity import dev_identity
from foundation import config, knobs

TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
MimeType = Literal["image/jpeg", "image/png"]
MIME_TYPES = ("image/jpeg", "image/png")
ROLE_KEY = "com.anchorboard.role"
SHA256_KEY = "com.anchorboard.sha256"


class CredentialsError(ValueError):
    """A file cannot be signed or read as asked (the message says why)."""


@dataclass(frozen=True)
class SigningIdentity:
    """Who signs: the certificate chain (PEM, signing certificate first, no root), its
    private key (PEM), the algorithm (``es256`` …, see ``algorithm_for_key``) and an optional
    RFC 3161 timestamp URL."""

    certificate_chain: bytes
    private_key: bytes
    algorithm: str = "es256"
    timestamp_url: str | None = None


@dataclass(frozen=True)
class CredentialIngredient:
    """An anchor the picture was made from: its name, role, bytes (``open``) and their
    SHA-256 (recorded as the ingredient's ``com.anchorboard.sha256`` metadata, the same
    hash the package manifest gives the anchor)."""

    title: str
    role: str
    mime_type: str
    open: Callable[[], IO[bytes]]
    sha256: str = ""


@dataclass(frozen=True)
class Generation:
    """What the manifest records about how the file was made."""

    title: str  # the file's name
    engine: str
    model: str | None = None
    ingredients: Sequence[CredentialIngredient] = ()
    generator: str = "Anchorboard"
    generator_version: str = "0.1.0"


@dataclass(frozen=True)
class VerifiedCredentials:
    """What a file's active manifest says, and whether it holds.

    ``state``: ``"Trusted"`` (intact, signer chains to a trust anchor given),
    ``"Valid"`` (intact, signer not known to be trusted) or ``"Invalid"`` (changed since
    signing, or broken). ``failures`` are the C2PA validation codes (e.g.
    ``assertion.dataHash.mismatch``, ``signingCredential.untrusted``).
    """

    state: str
    failures: tuple[str, ...]
    ai_generated: bool
    engine: str | None
    model: str | None
    ingredients: tuple[tuple[str, str | None, str | None], ...]  # (title, role, sha256)
    signer: str | None
    issuer: str | None
    title: str | None


def manifest_definition(generation: Generation) -> dict[str, Any]:
    """The manifest definition c2pa's ``Builder`` takes (ingredients are added apart)."""
    agent: dict[str, Any] = {"name": generation.engine}
    if generation.model:
        agent["version"] = generation.model
    action: dict[str, Any] = {
        "action": "c2pa.created",
        "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
        "softwareAgent": agent,
    }
    if generation.model:
        action["parameters"] = {"com.anchorboard.model": generation.model}
    return {
        "claim_generator_info": [
            {"name": generation.generator, "version": generation.generator_version}
        ],
        "title": generation.title,
        "assertions": [{"label": "c2pa.actions", "data": {"actions": [action]}}],
    }


def sign_image(
    source: BinaryIO,
    out: BinaryIO,
    mime_type: MimeType,
    generation: Generation,
    identity: SigningIdentity,
) -> None:
    """Copy the JPEG or PNG in ``source`` to ``out`` with a signed C2PA manifest embedded.

    Pixels are untouched (the manifest goes into its own JPEG APP11 segments / PNG
    ``caBX`` chunk). ``source`` must be readable and seekable, ``out`` writable and
    seekable. Raises ``CredentialsError`` with c2pa's reason when signing fails (a key
    that does not match the certificate, a certificate c2pa will not sign with …).
    """
    if mime_type not in MIME_TYPES:
        raise CredentialsError(f"Content Credentials are added to JPEG or PNG, not {mime_type}.")
    try:
        signer = c2pa.Signer.from_info(
            c2pa.C2paSignerInfo(
                identity.algorithm,
                identity.certificate_chain,
                identity.private_key,
                identity.timestamp_url or None,
            )
        )
        with signer, c2pa.Builder(manifest_definition(generation)) as builder:
            for ingredient in generation.ingredients:
                with ingredient.open() as data:
                    builder.add_ingredient(
                        {
                            "title": ingredient.title,
                            "relationship": "inputTo",
                            "metadata": {
                                ROLE_KEY: ingredient.role,
                                **({SHA256_KEY: ingredient.sha256} if ingredient.sha256 else {}),
                            },
                        },
                        ingredient.mime_type,
                        data,
                    )
            builder.sign(signer, mime_type, source, out)
    except c2pa.C2paError as exc:
        raise CredentialsError(f"The file could not be signed: {exc}") from exc


def verify_image(
    source: BinaryIO, mime_type: MimeType, *, trust_anchors: bytes | None = None
) -> VerifiedCredentials | None:
    """Read and check the C2PA manifest of a JPEG or PNG; ``None`` when it has none.

    ``trust_anchors`` (PEM root certificates) decide "Trusted"; without them a good
    signature from an unknown signer is "Valid" with ``signingCredential.untrusted``.
    """
    context = None
    if trust_anchors:
        context = c2pa.Context.from_dict(
            {"trust": {"trust_anchors": trust_anchors.decode("ascii")}}
        )
    try:
        reader = c2pa.Reader.try_create(mime_type, source, context=context)
    except c2pa.C2paError as exc:
        raise CredentialsError(f"The file's Content Credentials could not be read: {exc}") from exc
    if reader is None:
        return None
    with reader:
        manifest = reader.get_active_manifest() or {}
        results = reader.get_validation_results() or {}
        state = reader.get_validation_state() or "Invalid"
    failures = tuple(
        entry["code"] for entry in (results.get("activeManifest") or {}).get("failure", [])
    )
    created = _created_action(manifest) or {}
    agent = created.get("softwareAgent") or {}
    if isinstance(agent, str):  # claim v1 writers put the agent as a plain string
        agent = {"name": agent}
    signature = manifest.get("signature_info") or {}
    return VerifiedCredentials(
        state=state,
        failures=failures,
        ai_generated=created.get("digitalSourceType") == TRAINED_ALGORITHMIC_MEDIA,
        engine=agent.get("name"),
        model=agent.get("version"),
        ingredients=tuple(
            (
                item.get("title", ""),
                (item.get("metadata") or {}).get(ROLE_KEY),
                (item.get("metadata") or {}).get(SHA256_KEY),
            )
            for item in manifest.get("ingredients", [])
        ),
        signer=signature.get("common_name"),
        issuer=signature.get("issuer"),
        title=manifest.get("title"),
    )


def _created_action(manifest: dict[str, Any]) -> dict[str, Any] | None:
    for assertion in manifest.get("assertions", []):
        if str(assertion.get("label", "")).startswith("c2pa.actions"):
            for action in (assertion.get("data") or {}).get("actions", []):
                if action.get("action") == "c2pa.created":
                    return action
    return None


def sign_and_check(
    source: BinaryIO,
    out: BinaryIO,
    mime_type: MimeType,
    generation: Generation,
    identity: SigningIdentity,
) -> VerifiedCredentials:
    """``sign_image``, then read ``out`` back with c2pa's reader: the manifest must be
    there, intact (``Valid`` or ``Trusted``) and say what was signed; ``CredentialsError``
    otherwise. ``out`` is left at its end."""
    sign_image(source, out, mime_type, generation, identity)
    out.seek(0)
    found = verify_image(out, mime_type)
    out.seek(0, 2)
    if found is None or found.state == "Invalid" or found.title != generation.title:
        problem = "none" if found is None else f"{found.state} {', '.join(found.failures)}"
        raise CredentialsError(f"The signed file's Content Credentials do not hold ({problem}).")
    return found


def signing_identity() -> SigningIdentity | None:
    """Who signs exports here: the configured certificate; else, outside production
    (``DJANGO_ENV`` not ``production``), this process's throwaway development identity;
    else ``None`` (exports are not signed)."""
    configured = configured_identity()
    if configured is not None:
        return configured
    if config.read(knobs.DJANGO_ENV) == "production":
        return None
    made = dev_identity()
    return SigningIdentity(made.certificate_chain, made.private_key, "es256")


def configured_identity() -> SigningIdentity | None:
    """The production signing identity from the files the knobs name; ``None`` when no
    certificate is configured (exports are then not signed)."""
    certificate_path = config.read(knobs.C2PA_CERT_PATH)
    if not certificate_path:
        return None
    key_path = config.read(knobs.C2PA_KEY_PATH)
    if not key_path:
        raise CredentialsError(
            "ANCHORBOARD_C2PA_CERT_PATH is set but ANCHORBOARD_C2PA_KEY_PATH is not; "
            "set both to sign exports, or neither."
        )
    try:
        chain = Path(certificate_path).read_bytes()
        key = Path(key_path).read_bytes()
    except OSError as exc:
        raise CredentialsError(f"The C2PA certificate or key cannot be read: {exc}") from exc
    return SigningIdentity(
        certificate_chain=chain,
        private_key=key,
        algorithm=algorithm_for_key(key),
        timestamp_url=config.read(knobs.C2PA_TIMESTAMP_URL) or None,
    )


def algorithm_for_key(private_key: bytes) -> str:
    """The C2PA signature algorithm a PEM private key signs with: ``es256``/``es384``/
    ``es512`` for EC P-256/384/521, ``ed25519``, ``ps256`` for RSA (PSS)."""
    try:
        key = serialization.load_pem_private_key(private_key, password=None)
    except (ValueError, TypeError) as exc:
        raise CredentialsError(f"The C2PA key is not an unencrypted PEM key: {exc}") from exc
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    if isinstance(key, rsa.RSAPrivateKey):
        return "ps256"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        by_curve = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}
        if key.curve.name in by_curve:
            return by_curve[key.curve.name]
    raise CredentialsError(
        "The C2PA key must be EC P-256, P-384 or P-521, Ed25519 or RSA; "
        f"this one is {type(key).__name__}."
    )
