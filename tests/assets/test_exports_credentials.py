"""Content Credentials read back with c2pa-python's reader: a JPEG and a PNG signed with a
throwaway certificate made here (a test CA and its signing certificate; no key is ever
committed) carry the AI-generated action, the engine and model and the anchors, verify as
Trusted against the test CA, and show a changed byte as Invalid."""

from __future__ import annotations

import io

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from PIL import Image

from assets.exports.credentials import (
    CredentialIngredient,
    CredentialsError,
    Generation,
    SigningIdentity,
    algorithm_for_key,
    configured_identity,
    sign_and_check,
    sign_image,
    signing_identity,
    verify_image,
)
from assets.exports.dev_identity import SIGNER_NAME, dev_identity, make_dev_identity


@pytest.fixture(scope="module")
def test_ca():
    """(identity, CA certificate PEM): a throwaway test CA and a signing certificate it
    issued (assets/exports/dev_identity.py), made in memory for this module."""
    made = make_dev_identity("Anchorboard exports (test)")
    return SigningIdentity(made.certificate_chain, made.private_key), made.ca_pem


def encoded(fmt: str) -> io.BytesIO:
    data = io.BytesIO()
    Image.new("RGB", (96, 64), (30, 120, 200)).save(data, fmt)
    data.seek(0)
    return data


GENERATION = Generation(
    title="spring_A_42_1024x768.jpg",
    engine="gemini",
    model="gemini-2.5-flash-image",
    ingredients=[
        CredentialIngredient(
            "Sketch", "composition", "image/png", lambda: encoded("PNG"), "ab" * 32
        ),
        CredentialIngredient("Brand palette", "palette", "image/jpeg", lambda: encoded("JPEG")),
    ],
)


@pytest.mark.parametrize(("mime_type", "fmt"), [("image/jpeg", "JPEG"), ("image/png", "PNG")])
def test_signed_export_verifies_with_generation_facts(test_ca, mime_type, fmt):
    identity, ca_pem = test_ca
    out = io.BytesIO()
    sign_image(encoded(fmt), out, mime_type, GENERATION, identity)

    out.seek(0)
    credentials = verify_image(out, mime_type, trust_anchors=ca_pem)
    assert credentials is not None
    assert credentials.state == "Trusted" and credentials.failures == ()
    assert credentials.ai_generated
    assert (credentials.engine, credentials.model) == ("gemini", "gemini-2.5-flash-image")
    assert credentials.ingredients == (
        ("Sketch", "composition", "ab" * 32),
        ("Brand palette", "palette", None),
    )
    assert credentials.signer == "Anchorboard exports (test)"
    assert credentials.title == "spring_A_42_1024x768.jpg"
    # The manifest rides alongside the picture: the pixels decode as before.
    out.seek(0)
    assert Image.open(out).tobytes() == Image.open(encoded(fmt)).tobytes()

    # Without the test CA the signature still holds, but nobody vouches for the signer.
    out.seek(0)
    unknown = verify_image(out, mime_type)
    assert unknown is not None and unknown.state == "Valid"
    assert unknown.failures == ("signingCredential.untrusted",)


def test_a_changed_file_is_invalid_and_an_unsigned_one_has_none(test_ca):
    identity, ca_pem = test_ca
    out = io.BytesIO()
    sign_image(encoded("JPEG"), out, "image/jpeg", GENERATION, identity)
    tampered = bytearray(out.getvalue())
    tampered[-100] ^= 0xFF  # inside the compressed picture, after the manifest
    credentials = verify_image(io.BytesIO(bytes(tampered)), "image/jpeg", trust_anchors=ca_pem)
    assert credentials is not None and credentials.state == "Invalid"
    assert "assertion.dataHash.mismatch" in credentials.failures
    assert verify_image(encoded("PNG"), "image/png") is None


def test_bad_keys_and_formats_are_refused(test_ca):
    identity, _ = test_ca
    other = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    wrong_key = SigningIdentity(identity.certificate_chain, other)
    with pytest.raises(CredentialsError, match="could not be signed"):
        sign_image(encoded("JPEG"), io.BytesIO(), "image/jpeg", GENERATION, wrong_key)
    with pytest.raises(CredentialsError, match="JPEG or PNG"):
        sign_image(encoded("PNG"), io.BytesIO(), "image/webp", GENERATION, identity)  # type: ignore[arg-type]


def test_production_identity_comes_from_the_configured_files(test_ca, tmp_path, settings):
    identity, _ = test_ca
    assert configured_identity() is None  # nothing configured: exports are not signed
    (tmp_path / "chain.pem").write_bytes(identity.certificate_chain)
    (tmp_path / "key.pem").write_bytes(identity.private_key)
    settings.ANCHORBOARD_C2PA_CERT_PATH = str(tmp_path / "chain.pem")
    with pytest.raises(CredentialsError, match="KEY_PATH is not"):
        configured_identity()
    settings.ANCHORBOARD_C2PA_KEY_PATH = str(tmp_path / "key.pem")
    assert configured_identity() == identity  # es256, from the P-256 key


def test_the_algorithm_follows_the_key():
    pem = serialization.Encoding.PEM
    pkcs8 = serialization.PrivateFormat.PKCS8

    def key_pem(key) -> bytes:
        return key.private_bytes(pem, pkcs8, serialization.NoEncryption())

    assert algorithm_for_key(key_pem(ec.generate_private_key(ec.SECP384R1()))) == "es384"
    assert algorithm_for_key(key_pem(ed25519.Ed25519PrivateKey.generate())) == "ed25519"
    with pytest.raises(CredentialsError, match="not an unencrypted PEM key"):
        algorithm_for_key(b"not a key")


def test_signing_identity_is_the_configured_one_else_development_only(tmp_path, settings):
    """Development signs with this process's throwaway identity (checked back by
    ``sign_and_check``); production without a certificate does not sign at all."""
    settings.DJANGO_ENV = "development"
    identity = signing_identity()
    assert identity is not None
    assert identity.certificate_chain == dev_identity().certificate_chain
    out = io.BytesIO()
    found = sign_and_check(encoded("PNG"), out, "image/png", GENERATION, identity)
    assert found.signer == SIGNER_NAME and found.ai_generated
    settings.DJANGO_ENV = "production"
    assert signing_identity() is None
    made = make_dev_identity("Configured signer")
    (tmp_path / "chain.pem").write_bytes(made.certificate_chain)
    (tmp_path / "key.pem").write_bytes(made.private_key)
    settings.ANCHORBOARD_C2PA_CERT_PATH = str(tmp_path / "chain.pem")
    settings.ANCHORBOARD_C2PA_KEY_PATH = str(tmp_path / "key.pem")
    configured = signing_identity()
    assert configured is not None and configured.certificate_chain == made.certificate_chain
