"""Knobs: deployment, the services it talks to (database, Redis, workers) and file storage."""

from __future__ import annotations

from foundation.config import FLAG, NAMES, TEXT, WHOLE, choice
from foundation.knobs.registry import DEPLOYMENT, SERVICES, STORAGE, declare

# --- Deployment and security ------------------------------------------------------------------

DATA_DIR = declare(
    "ANCHORBOARD_DATA_DIR", TEXT, "",
    "SQLite database, `media/`, collected `static/`, the development secret key, the demo login",
    DEPLOYMENT, shown_default="`var/` in the project",
)  # fmt: skip
DJANGO_ENV = declare(
    "DJANGO_ENV", TEXT, "development", "`production` turns on the hardened settings", DEPLOYMENT
)
SECRET_KEY = declare(
    "DJANGO_SECRET_KEY", TEXT, "",
    "required in production: 50+ characters, 5+ different ones (else start-up fails)",
    DEPLOYMENT, shown_default="generated file (development only)", environment_only=True,
)  # fmt: skip
ALLOWED_HOSTS = declare(
    "DJANGO_ALLOWED_HOSTS", NAMES, (),
    "comma-separated host names; required in production, where wildcards (`*`) are refused; "
    "also the allowed websocket `Origin`s",
    DEPLOYMENT, shown_default="`localhost,127.0.0.1,[::1],testserver` (development)",
)  # fmt: skip
CSRF_TRUSTED_ORIGINS = declare(
    "DJANGO_CSRF_TRUSTED_ORIGINS", NAMES, (),
    "comma-separated origins (`https://board.example.com`) when a proxy changes the origin",
    DEPLOYMENT,
)  # fmt: skip
DEBUG = declare(
    "DJANGO_DEBUG", FLAG, False, "Django debug pages (never in production: forced off)",
    DEPLOYMENT,
)  # fmt: skip
LOG_LEVEL = declare(
    "DJANGO_LOG_LEVEL", TEXT, "INFO", "root log level (logs go to stderr)", DEPLOYMENT
)
SECURE_SSL_REDIRECT = declare(
    "DJANGO_SECURE_SSL_REDIRECT", FLAG, True,
    "production only: turn off only if the proxy already redirects to HTTPS", DEPLOYMENT,
)  # fmt: skip
SECURE_HSTS_SECONDS = declare(
    "DJANGO_SECURE_HSTS_SECONDS", WHOLE, 31_536_000, "production only: HSTS max-age", DEPLOYMENT
)
BEHIND_TLS_PROXY = declare(
    "DJANGO_BEHIND_TLS_PROXY", FLAG, False,
    "production only: trust `X-Forwarded-Proto: https` from the proxy in front", DEPLOYMENT,
)  # fmt: skip
TRUSTED_PROXIES = declare(
    "ANCHORBOARD_TRUSTED_PROXIES", NAMES, (),
    "comma-separated addresses/networks of reverse proxies whose `X-Forwarded-For` is "
    "believed ([deploy.md](deploy.md#behind-a-proxy))",
    DEPLOYMENT,
)  # fmt: skip

METRICS_TOKEN = declare(
    "ANCHORBOARD_METRICS_TOKEN", TEXT, "",
    "bearer token Prometheus sends to read `/metrics` (`Authorization: Bearer …`); unset: "
    "only ANCHORBOARD_METRICS_NETWORKS may read it, everyone else gets 404 "
    "([deploy.md](deploy.md#prometheus-metrics))",
    DEPLOYMENT, shown_default="none", environment_only=True,
)  # fmt: skip
METRICS_NETWORKS = declare(
    "ANCHORBOARD_METRICS_NETWORKS", NAMES, (),
    "comma-separated addresses/networks that may read `/metrics` without the token (the "
    "client address as ANCHORBOARD_TRUSTED_PROXIES resolves it); empty: nobody",
    DEPLOYMENT, shown_default="none",
)  # fmt: skip

# --- Database, Redis, background work ---------------------------------------------------------

DATABASE_URL = declare(
    "DATABASE_URL", TEXT, "", "any URL `dj-database-url` understands; PostgreSQL in scale-out",
    SERVICES, shown_default="SQLite in the data folder",
)  # fmt: skip
CONN_MAX_AGE = declare(
    "DJANGO_CONN_MAX_AGE", WHOLE, 0,
    "seconds to keep a database connection (0 suits ASGI; use a pooler for reuse)", SERVICES,
)  # fmt: skip
REDIS_URL = declare(
    "REDIS_URL", TEXT, "",
    "Redis channel layer, the default cache and the default Celery broker", SERVICES,
    shown_default="none (in-memory channel layer)",
)  # fmt: skip
CACHE_URL = declare(
    "CACHE_URL", TEXT, "",
    "Django's cache (throttle counters): `redis://`, `rediss://`, `unix://` or `locmem://`",
    SERVICES, shown_default="`REDIS_URL`, else process memory",
)  # fmt: skip
CELERY_BROKER_URL = declare(
    "CELERY_BROKER_URL", TEXT, "", "Celery broker, if it is not the channel-layer Redis",
    SERVICES, shown_default="`REDIS_URL`",
)  # fmt: skip
DISPATCHER = declare(
    "ANCHORBOARD_DISPATCHER", choice("embedded", "celery", "inline"), "embedded",
    "where background work runs: `embedded` thread pool, `celery` workers, or `inline` at "
    "commit time (tests)",
    SERVICES,
)  # fmt: skip
EMBEDDED_WORKERS = declare(
    "ANCHORBOARD_EMBEDDED_WORKERS", WHOLE, 2,
    "worker threads of the embedded pool and default for `run_workers`", SERVICES,
)  # fmt: skip
VISIBILITY_TIMEOUT = declare(
    "ANCHORBOARD_VISIBILITY_TIMEOUT", WHOLE, 300,
    "seconds before the broker redelivers a dead Celery worker's unacknowledged "
    "(prefetched, never started) wake-ups",
    SERVICES,
)  # fmt: skip

# --- File storage ------------------------------------------------------------------------------

S3_BUCKET = declare(
    "AWS_STORAGE_BUCKET_NAME", TEXT, "", "switches file storage to S3", STORAGE,
    shown_default="none (files in the data folder)",
)  # fmt: skip
S3_ENDPOINT_URL = declare(
    "AWS_S3_ENDPOINT_URL", TEXT, "", "S3-compatible endpoint (MinIO, R2, …)", STORAGE,
    shown_default="AWS",
)  # fmt: skip
S3_REGION = declare("AWS_S3_REGION_NAME", TEXT, "", "bucket region", STORAGE)
S3_ACCESS_KEY_ID = declare(
    "AWS_ACCESS_KEY_ID", TEXT, "", "credentials (environment only)", STORAGE,
    shown_default="boto3's own lookup", environment_only=True,
)  # fmt: skip
S3_SECRET_ACCESS_KEY = declare(
    "AWS_SECRET_ACCESS_KEY", TEXT, "", "credentials (environment only)", STORAGE,
    shown_default="boto3's own lookup", environment_only=True,
)  # fmt: skip
S3_URL_SECONDS = declare(
    "AWS_QUERYSTRING_EXPIRE", WHOLE, 300, "lifetime of signed URLs, seconds", STORAGE
)
S3_LOCATION = declare("AWS_LOCATION", TEXT, "", "key prefix inside the bucket", STORAGE)
ATLAS_SHEET_GRACE_SECONDS = declare(
    "ANCHORBOARD_ATLAS_SHEET_GRACE_SECONDS", WHOLE, 3600,
    "how long an atlas sheet no board uses any more is kept (and still served to the members "
    "of the board that used it, whose open pages may have read the old index) before it is "
    "deleted",
    STORAGE,
)  # fmt: skip
