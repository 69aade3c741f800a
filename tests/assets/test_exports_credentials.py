"""Content Credentials read back with c2pa-python's reader: a JPEG and a PNG signed with a
throwaway certificate made here (a test CA and its signing certificate; no key is ever
committed) carry the AI-generated action, the engine and model and the anchors, verify as
Trusted against the test CA, and show a changed byte as Invalid."""

from __future__ import annotations

import datetime
import io

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image

from assets.exports.credentials import (
    CredentialIngredient,
    CredentialsError,
    Generation,
    SigningIdentity,
    algorithm_for_key,
    configured_identity,
    sign_image,
    verify_image,
)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Anchorboard tests"),
        ]
    )


def _usage(*, sign_certs: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=sign_certs,
        crl_sign=sign_certs,
        encipher_only=False,
        decipher_only=False,
    )


def _certificate(subject: str, key, issuer: x509.Certificate | None, issuer_key, *, ca: bool):
    """A certificate for ``key`` issued by ``issuer`` (self-signed when None), valid now."""
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer.subject if issuer else _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(_usage(sign_certs=ca), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False
        )
    else:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False
        ).add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def test_ca():
    """(identity, CA certificate PEM): a self-signed test CA and a signing certificate it
    issued, made in memory for this module. c2pa refuses to sign with a self-signed
    end-entity certificate ("the certificate is invalid"), so the self-signed one is the
    root."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("Anchorboard test CA", ca_key, None, ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = _certificate("Anchorboard exports (test)", key, ca, ca_key, ca=False)
    pem = serialization.Encoding.PEM
    identity = SigningIdentity(
        certificate_chain=leaf.public_bytes(pem) + ca.public_bytes(pem),
        private_key=key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )
    return identity, ca.public_bytes(pem)


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
        CredentialIngredient("Sketch", "composition", "image/png", lambda: encoded("PNG")),
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
    assert credentials.ingredients == (("Sketch", "composition"), ("Brand palette", "palette"))
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
