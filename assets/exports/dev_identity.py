"""A throwaway Content Credentials signing identity for development and the tests.

c2pa refuses to sign with a self-signed end-entity certificate ("the certificate is
invalid"), so this makes a self-signed test CA and a signing certificate it issues (EC
P-256, digital-signature key usage, e-mail-protection extended key usage, valid 30 days),
in memory, once per process. No key is ever written to disk or committed. Readers that
do not know the test CA say "Valid" with ``signingCredential.untrusted``; give them
``DevIdentity.ca_pem`` as a trust anchor to get "Trusted".

Never used in production (``credentials.signing_identity`` checks ``DJANGO_ENV``).
Imports nothing of ours, so ``credentials`` can use it.
Must not import Django models or ``canvas``.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SIGNER_NAME = "Anchorboard exports (development)"
VALID_DAYS = 30  # a development server restarts (and makes a new one) far more often


@dataclass(frozen=True)
class DevIdentity:
    """PEM: the signing certificate then the CA's (the chain to sign with), the signing
    key (PKCS#8, EC P-256: ``es256``), and the CA alone (the trust anchor)."""

    certificate_chain: bytes
    private_key: bytes
    ca_pem: bytes


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Anchorboard development"),
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


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Certificate | None,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
) -> x509.Certificate:
    """A certificate for ``key`` issued by ``issuer`` (self-signed when None), valid now."""
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer.subject if issuer else _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
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


def make_dev_identity(signer: str = SIGNER_NAME) -> DevIdentity:
    """A new test CA and a signing certificate named ``signer`` that it issued."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("Anchorboard development CA", ca_key, None, ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = _certificate(signer, key, ca, ca_key, ca=False)
    pem = serialization.Encoding.PEM
    return DevIdentity(
        certificate_chain=leaf.public_bytes(pem) + ca.public_bytes(pem),
        private_key=key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        ca_pem=ca.public_bytes(pem),
    )


@functools.cache
def dev_identity() -> DevIdentity:
    """This process's development identity, made on first use."""
    return make_dev_identity()
