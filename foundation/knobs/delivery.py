"""Knobs: what leaves the server: webhooks and exports (Content Credentials)."""

from __future__ import annotations

from foundation.config import FLAG, TEXT, WHOLE
from foundation.knobs.registry import EXPORTS, WEBHOOKS, declare

# --- Webhooks ---------------------------------------------------------------------------------

WEBHOOK_ALLOW_PRIVATE_URLS = declare(
    "ANCHORBOARD_WEBHOOK_ALLOW_PRIVATE_URLS", FLAG, False,
    "webhook URLs may reach private and loopback addresses, plain `http://` to loopback only "
    "(tests, local development); link-local and metadata addresses stay refused", WEBHOOKS,
)  # fmt: skip
WEBHOOK_SENDERS = declare(
    "ANCHORBOARD_WEBHOOK_SENDERS", WHOLE, 4,
    "threads per worker process that send webhook deliveries (never a job's)", WEBHOOKS,
)  # fmt: skip

# --- Exports: Content Credentials (C2PA); the algorithm follows the key ---------------------
C2PA_CERT_PATH = declare(
    "ANCHORBOARD_C2PA_CERT_PATH", TEXT, "", "PEM: the signing certificate, then intermediates "
    "(no root); empty = exported JPEG/PNG files are not signed", EXPORTS,
)  # fmt: skip
C2PA_KEY_PATH = declare(
    "ANCHORBOARD_C2PA_KEY_PATH", TEXT, "", "PEM (PKCS#8) private key of that certificate "
    "(EC P-256/384/521, Ed25519 or RSA); readable by the server only, never committed", EXPORTS,
)  # fmt: skip
C2PA_TIMESTAMP_URL = declare(
    "ANCHORBOARD_C2PA_TIMESTAMP_URL", TEXT, "", "RFC 3161 timestamp authority (signatures "
    "stay valid past the certificate's expiry); empty = none", EXPORTS,
)  # fmt: skip
