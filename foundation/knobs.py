"""Every knob an operator may set: name, type, default and meaning, declared once.

Read them with ``foundation.config.read`` (``from_environment`` before Django exists).
docs/configuration.md is generated from this list (``python -m foundation.config_docs``),
and tests/test_configuration.py holds the code to it: every ``ANCHORBOARD_*``/``DJANGO_*``
name the code mentions is declared here, every declared knob is read somewhere, and nothing
else reads ``os.environ`` or ``getattr(settings, …)``.

Adding a knob: declare it in its section below, read it through ``config.read``, run
``python -m foundation.config_docs``. Names only — this module imports no app.
"""

from __future__ import annotations

from typing import Any, TypeVar

from foundation.config import (
    CHAINS,
    FLAG,
    LIMIT_PAIRS,
    NAMES,
    NUMBER,
    PAIRS,
    TEXT,
    WHOLE,
    WHOLE_PAIRS,
    Knob,
    Parser,
    choice,
    from_environment,
    optional,
)

T = TypeVar("T")

_ALL: dict[str, Knob[Any]] = {}


def _knob(
    name: str, parser: Parser[T], default: T, meaning: str, section: str, **more: Any
) -> Knob[T]:
    if name in _ALL:
        raise ValueError(f"{name} is declared twice")
    knob = Knob(name, parser, default, meaning, section, **more)
    _ALL[name] = knob
    return knob


def every() -> list[Knob[Any]]:
    """Every declared knob, in declaration (= documentation) order."""
    return list(_ALL.values())


def named(name: str) -> Knob[Any] | None:
    """The knob declared as ``name`` (for the per-provider families), or None."""
    return _ALL.get(name)


def check_environment() -> None:
    """Parse every knob set in the environment, so a bad value fails at start-up with a
    sentence naming it rather than at first use (called by anchorboard/settings.py)."""
    for knob in _ALL.values():
        if not knob.read_in:
            from_environment(knob)


DEPLOYMENT = "Deployment and security"
SERVICES = "Database, Redis, background work"
STORAGE = "File storage (S3)"
LIMITS = "Request, upload and image limits"
ACCESS = "Passwords, sign-up, invitations, share links"
BOARD = "Board websocket"
JOBS = "Job queue"
HOSTED = "Hosted providers (Gemini, OpenAI), circuit breaker, fallbacks"
COMFYUI = "ComfyUI"
A1111 = "AUTOMATIC1111 / Forge"
WEBHOOKS = "Webhooks"
EXPORTS = "Exports: Content Credentials (C2PA)"
DEVELOPMENT = "Development and tests"

# --- Deployment and security ------------------------------------------------------------------

DATA_DIR = _knob(
    "ANCHORBOARD_DATA_DIR", TEXT, "",
    "SQLite database, `media/`, collected `static/`, the development secret key, the demo login",
    DEPLOYMENT, shown_default="`var/` in the project",
)  # fmt: skip
DJANGO_ENV = _knob(
    "DJANGO_ENV", TEXT, "development", "`production` turns on the hardened settings", DEPLOYMENT
)
SECRET_KEY = _knob(
    "DJANGO_SECRET_KEY", TEXT, "",
    "required in production: 50+ characters, 5+ different ones (else start-up fails)",
    DEPLOYMENT, shown_default="generated file (development only)", environment_only=True,
)  # fmt: skip
ALLOWED_HOSTS = _knob(
    "DJANGO_ALLOWED_HOSTS", NAMES, (),
    "comma-separated host names; required in production, where wildcards (`*`) are refused; "
    "also the allowed websocket `Origin`s",
    DEPLOYMENT, shown_default="`localhost,127.0.0.1,[::1],testserver` (development)",
)  # fmt: skip
CSRF_TRUSTED_ORIGINS = _knob(
    "DJANGO_CSRF_TRUSTED_ORIGINS", NAMES, (),
    "comma-separated origins (`https://board.example.com`) when a proxy changes the origin",
    DEPLOYMENT,
)  # fmt: skip
DEBUG = _knob(
    "DJANGO_DEBUG", FLAG, False, "Django debug pages (never in production: forced off)",
    DEPLOYMENT,
)  # fmt: skip
LOG_LEVEL = _knob(
    "DJANGO_LOG_LEVEL", TEXT, "INFO", "root log level (logs go to stderr)", DEPLOYMENT
)
SECURE_SSL_REDIRECT = _knob(
    "DJANGO_SECURE_SSL_REDIRECT", FLAG, True,
    "production only: turn off only if the proxy already redirects to HTTPS", DEPLOYMENT,
)  # fmt: skip
SECURE_HSTS_SECONDS = _knob(
    "DJANGO_SECURE_HSTS_SECONDS", WHOLE, 31_536_000, "production only: HSTS max-age", DEPLOYMENT
)
BEHIND_TLS_PROXY = _knob(
    "DJANGO_BEHIND_TLS_PROXY", FLAG, False,
    "production only: trust `X-Forwarded-Proto: https` from the proxy in front", DEPLOYMENT,
)  # fmt: skip
TRUSTED_PROXIES = _knob(
    "ANCHORBOARD_TRUSTED_PROXIES", NAMES, (),
    "comma-separated addresses/networks of reverse proxies whose `X-Forwarded-For` is "
    "believed ([deploy.md](deploy.md#behind-a-proxy))",
    DEPLOYMENT,
)  # fmt: skip

# --- Database, Redis, background work ---------------------------------------------------------

DATABASE_URL = _knob(
    "DATABASE_URL", TEXT, "", "any URL `dj-database-url` understands; PostgreSQL in scale-out",
    SERVICES, shown_default="SQLite in the data folder",
)  # fmt: skip
CONN_MAX_AGE = _knob(
    "DJANGO_CONN_MAX_AGE", WHOLE, 0,
    "seconds to keep a database connection (0 suits ASGI; use a pooler for reuse)", SERVICES,
)  # fmt: skip
REDIS_URL = _knob(
    "REDIS_URL", TEXT, "",
    "Redis channel layer, the default cache and the default Celery broker", SERVICES,
    shown_default="none (in-memory channel layer)",
)  # fmt: skip
CACHE_URL = _knob(
    "CACHE_URL", TEXT, "",
    "Django's cache (throttle counters): `redis://`, `rediss://`, `unix://` or `locmem://`",
    SERVICES, shown_default="`REDIS_URL`, else process memory",
)  # fmt: skip
CELERY_BROKER_URL = _knob(
    "CELERY_BROKER_URL", TEXT, "", "Celery broker, if it is not the channel-layer Redis",
    SERVICES, shown_default="`REDIS_URL`",
)  # fmt: skip
DISPATCHER = _knob(
    "ANCHORBOARD_DISPATCHER", choice("embedded", "celery", "inline"), "embedded",
    "where background work runs: `embedded` thread pool, `celery` workers, or `inline` at "
    "commit time (tests)",
    SERVICES,
)  # fmt: skip
EMBEDDED_WORKERS = _knob(
    "ANCHORBOARD_EMBEDDED_WORKERS", WHOLE, 2,
    "worker threads of the embedded pool and default for `run_workers`", SERVICES,
)  # fmt: skip
VISIBILITY_TIMEOUT = _knob(
    "ANCHORBOARD_VISIBILITY_TIMEOUT", WHOLE, 300,
    "seconds before the broker redelivers a dead Celery worker's unacknowledged "
    "(prefetched, never started) wake-ups",
    SERVICES,
)  # fmt: skip

# --- File storage ------------------------------------------------------------------------------

S3_BUCKET = _knob(
    "AWS_STORAGE_BUCKET_NAME", TEXT, "", "switches file storage to S3", STORAGE,
    shown_default="none (files in the data folder)",
)  # fmt: skip
S3_ENDPOINT_URL = _knob(
    "AWS_S3_ENDPOINT_URL", TEXT, "", "S3-compatible endpoint (MinIO, R2, …)", STORAGE,
    shown_default="AWS",
)  # fmt: skip
S3_REGION = _knob("AWS_S3_REGION_NAME", TEXT, "", "bucket region", STORAGE)
S3_ACCESS_KEY_ID = _knob(
    "AWS_ACCESS_KEY_ID", TEXT, "", "credentials (environment only)", STORAGE,
    shown_default="boto3's own lookup", environment_only=True,
)  # fmt: skip
S3_SECRET_ACCESS_KEY = _knob(
    "AWS_SECRET_ACCESS_KEY", TEXT, "", "credentials (environment only)", STORAGE,
    shown_default="boto3's own lookup", environment_only=True,
)  # fmt: skip
S3_URL_SECONDS = _knob(
    "AWS_QUERYSTRING_EXPIRE", WHOLE, 300, "lifetime of signed URLs, seconds", STORAGE
)
S3_LOCATION = _knob("AWS_LOCATION", TEXT, "", "key prefix inside the bucket", STORAGE)

# --- Limits -----------------------------------------------------------------------------------

MAX_UPLOAD_BYTES = _knob(
    "ANCHORBOARD_MAX_UPLOAD_BYTES", WHOLE, 200 * 1024 * 1024,
    "largest accepted upload (file, and files of one upload request)", LIMITS,
)  # fmt: skip
MAX_REQUEST_BYTES = _knob(
    "ANCHORBOARD_MAX_REQUEST_BYTES", WHOLE, 512 * 1024,
    "largest body of any other request (JSON, forms)", LIMITS,
)  # fmt: skip
MAX_IMAGE_PIXELS = _knob(
    "ANCHORBOARD_MAX_IMAGE_PIXELS", WHOLE, 64_000_000,
    "largest accepted image (decompression-bomb guard), also the largest composited region",
    LIMITS,
)  # fmt: skip

# --- Passwords, sign-up, invitations, share links ------------------------------------------------

PASSWORD_FREE_FAILURES = _knob(
    "ANCHORBOARD_PASSWORD_FREE_FAILURES", WHOLE, 5,
    "wrong passwords per (account or link, address) before delays start", ACCESS,
)  # fmt: skip
PASSWORD_BASE_DELAY_SECONDS = _knob(
    "ANCHORBOARD_PASSWORD_BASE_DELAY_SECONDS", WHOLE, 30,
    "first delay; each further failure doubles it", ACCESS,
)  # fmt: skip
PASSWORD_MAX_DELAY_SECONDS = _knob(
    "ANCHORBOARD_PASSWORD_MAX_DELAY_SECONDS", WHOLE, 900, "longest delay", ACCESS
)
PASSWORD_FORGET_SECONDS = _knob(
    "ANCHORBOARD_PASSWORD_FORGET_SECONDS", WHOLE, 86_400,
    "a pair that has not failed for this long starts again", ACCESS,
)  # fmt: skip
PASSWORD_ATTACK_FAILURES = _knob(
    "ANCHORBOARD_PASSWORD_ATTACK_FAILURES", WHOLE, 100,
    "failures on one account or link (all addresses, within the forget time) that end the "
    "free failures for every address",
    ACCESS,
)  # fmt: skip
SIGNUP_FREE_FAILURES = _knob(
    "ANCHORBOARD_SIGNUP_FREE_FAILURES", WHOLE, 20,
    "new accounts (sign-up, invitation links) per client address a day before delays start "
    "([members.md](members.md#throttling-new-accounts))",
    ACCESS,
)  # fmt: skip
SIGNUP_BASE_DELAY_SECONDS = _knob(
    "ANCHORBOARD_SIGNUP_BASE_DELAY_SECONDS", WHOLE, 60,
    "first delay after those; doubles up to an hour", ACCESS,
)  # fmt: skip
INVITATION_DAYS = _knob(
    "ANCHORBOARD_INVITATION_DAYS", WHOLE, 7,
    "how long a new invitation link works unless its maker says (1–30)", ACCESS,
)  # fmt: skip
SHARE_MAX_DAYS = _knob(
    "ANCHORBOARD_SHARE_MAX_DAYS", WHOLE, 90, "longest life of a share link, days", ACCESS
)
SHARE_PASSWORD_COOKIE_SECONDS = _knob(
    "ANCHORBOARD_SHARE_PASSWORD_COOKIE_SECONDS", WHOLE, 12 * 3600,
    "how long a guest stays unlocked after typing a share link's password", ACCESS,
)  # fmt: skip
SHARE_COMMENT_WINDOW_SECONDS = _knob(
    "ANCHORBOARD_SHARE_COMMENT_WINDOW_SECONDS", WHOLE, 600,
    "window of the guest comment limits below", ACCESS,
)  # fmt: skip
SHARE_COMMENTS_PER_IP = _knob(
    "ANCHORBOARD_SHARE_COMMENTS_PER_IP", WHOLE, 20,
    "guest comments per client address and link within the window", ACCESS,
)  # fmt: skip
SHARE_COMMENTS_PER_LINK = _knob(
    "ANCHORBOARD_SHARE_COMMENTS_PER_LINK", WHOLE, 200,
    "guest comments per link within the window", ACCESS,
)  # fmt: skip

# --- Board websocket --------------------------------------------------------------------------

OPERATION_LOG_SIZE = _knob(
    "ANCHORBOARD_OPERATION_LOG_SIZE", WHOLE, 1000,
    "committed batches kept per board for catch-up; a client further behind gets a snapshot",
    BOARD,
)  # fmt: skip
WS_MESSAGE_BURST = _knob(
    "ANCHORBOARD_WS_MESSAGE_BURST", NUMBER, 200.0,
    "messages one socket may send in a burst before `rate_limited`", BOARD,
)  # fmt: skip
WS_MESSAGE_RATE = _knob(
    "ANCHORBOARD_WS_MESSAGE_RATE", NUMBER, 60.0,
    "messages per second one socket may send, sustained", BOARD,
)  # fmt: skip
BOARD_WRITER_LANES = _knob(
    "ANCHORBOARD_BOARD_WRITER_LANES", WHOLE, 0,
    "threads per web process that apply board edits, each with its own database connection "
    "(a board always uses the same one); 0: one on SQLite, four on PostgreSQL", BOARD,
)  # fmt: skip
PROTOCOL_CHECK_OUTGOING = _knob(
    "ANCHORBOARD_PROTOCOL_CHECK_OUTGOING", FLAG, False,
    "check every message a socket sends against its protocol schema (the tests turn it on)",
    BOARD,
)  # fmt: skip

# --- Job queue --------------------------------------------------------------------------------

JOB_MAX_ATTEMPTS = _knob(
    "ANCHORBOARD_JOB_MAX_ATTEMPTS", WHOLE, 3,
    "starts per job, including starts cut short by a dead worker, before transient failures "
    "are final",
    JOBS,
)  # fmt: skip
JOB_USER_CONCURRENCY = _knob(
    "ANCHORBOARD_JOB_USER_CONCURRENCY", WHOLE, 2, "running jobs per person, across all workers",
    JOBS,
)  # fmt: skip
ENGINE_CONCURRENCY = _knob(
    "ANCHORBOARD_ENGINE_CONCURRENCY", WHOLE_PAIRS, {},
    "`local=4,openai=8` (a dict in settings): running jobs per engine across all workers; wins "
    "over the engine's own limit",
    JOBS, shown_default="none",
)  # fmt: skip
PROVIDER_LIMITS = _knob(
    "ANCHORBOARD_PROVIDER_LIMITS", LIMIT_PAIRS, {},
    "`gemini=4/60,openai=8` (a dict in settings): per provider, running jobs across all "
    "workers and, after the slash, job starts per minute; a job waits while its provider is "
    "at either limit",
    JOBS, shown_default="none",
)  # fmt: skip
JOB_HEARTBEAT_SECONDS = _knob(
    "ANCHORBOARD_JOB_HEARTBEAT_SECONDS", NUMBER, 2.0,
    "how often a running job renews its lease (at most a third of the lease)", JOBS,
)  # fmt: skip
JOB_LEASE_SECONDS = _knob(
    "ANCHORBOARD_JOB_LEASE_SECONDS", optional(NUMBER), None,
    "claim validity without a heartbeat; a dead worker's job is requeued within one lease + "
    "one poll",
    JOBS, shown_default="3 × heartbeat (6)",
)  # fmt: skip
JOB_RETRY_BASE_SECONDS = _knob(
    "ANCHORBOARD_JOB_RETRY_BASE_SECONDS", NUMBER, 5.0,
    "first retry delay after a transient failure (doubles per attempt, plus jitter)", JOBS,
)  # fmt: skip
JOB_POLL_SECONDS = _knob(
    "ANCHORBOARD_JOB_POLL_SECONDS", NUMBER, 1.0,
    "idle worker poll interval; upkeep period of every worker process (recovery, lost "
    "announcements)",
    JOBS,
)  # fmt: skip
JOB_PROGRESS_INTERVAL = _knob(
    "ANCHORBOARD_JOB_PROGRESS_INTERVAL", NUMBER, 0.5,
    "minimum seconds between two progress writes/broadcasts of a job", JOBS,
)  # fmt: skip
JOB_TIME_LIMIT_SECONDS = _knob(
    "ANCHORBOARD_JOB_TIME_LIMIT_SECONDS", NUMBER, 1800.0,
    "one attempt's running time before the engine is asked to stop (`timed_out`); also the "
    "default limit of one ComfyUI/A1111 call",
    JOBS,
)  # fmt: skip

EXPORT_LINK_SECONDS = _knob(
    "ANCHORBOARD_EXPORT_LINK_SECONDS", WHOLE, 3600,
    "how long a download link of an export works after it was handed out (the API's "
    "download_url); a new link is handed out at every read",
    JOBS,
)  # fmt: skip
EXPORT_KEEP_DAYS = _knob(
    "ANCHORBOARD_EXPORT_KEEP_DAYS", NUMBER, 7.0,
    "how long a finished export's file is kept; then it is deleted and the exports page "
    "offers to export again",
    JOBS,
)  # fmt: skip
BATCH_MAX_JOBS = _knob(
    "ANCHORBOARD_BATCH_MAX_JOBS", WHOLE, 2000,
    "the most jobs one batch may expand into (values × anchor sets × seeds × engines × targets)",
    JOBS,
)  # fmt: skip
ENGINE_PRICES = _knob(
    "ANCHORBOARD_ENGINE_PRICES", PAIRS, {},
    "price table for batch estimates: `engine-or-provider=0.039 USD/image` or `…=0.02 USD/mp` "
    "pairs (a dict in settings); no price = the estimate says unknown",
    JOBS, shown_default="none",
)  # fmt: skip
BATCH_DEFAULT_JOB_SECONDS = _knob(
    "ANCHORBOARD_BATCH_DEFAULT_JOB_SECONDS", NUMBER, 30.0,
    "seconds per job a batch estimate assumes for an engine with no finished jobs yet", JOBS,
)  # fmt: skip

# --- Hosted providers -------------------------------------------------------------------------

GEMINI_API_KEY = _knob(
    "ANCHORBOARD_GEMINI_API_KEY", TEXT, "",
    "Gemini Developer API key; no key = no Gemini engines (environment only; Google's usual "
    "`GEMINI_API_KEY` works too, ours wins)",
    HOSTED, aliases=("GEMINI_API_KEY",), environment_only=True,
)  # fmt: skip
GEMINI_BASE_URL = _knob(
    "ANCHORBOARD_GEMINI_BASE_URL", TEXT, "https://generativelanguage.googleapis.com",
    "Gemini API endpoint", HOSTED,
)  # fmt: skip
GEMINI_MODELS = _knob(
    "ANCHORBOARD_GEMINI_MODELS", NAMES, (),
    "comma-separated model ids; one engine each", HOSTED,
    shown_default="the three known models ([providers.md](providers.md))",
)  # fmt: skip
GEMINI_TIMEOUT = _knob(
    "ANCHORBOARD_GEMINI_TIMEOUT", NUMBER, 120.0, "seconds to wait for Gemini's answer", HOSTED
)
GEMINI_CONNECT_TIMEOUT = _knob(
    "ANCHORBOARD_GEMINI_CONNECT_TIMEOUT", NUMBER, 10.0, "seconds to connect to Gemini", HOSTED
)
OPENAI_API_KEY = _knob(
    "ANCHORBOARD_OPENAI_API_KEY", TEXT, "",
    "OpenAI key; no key = no OpenAI engines (environment only; OpenAI's usual "
    "`OPENAI_API_KEY` works too, ours wins)",
    HOSTED, aliases=("OPENAI_API_KEY",), environment_only=True,
)  # fmt: skip
OPENAI_BASE_URL = _knob(
    "ANCHORBOARD_OPENAI_BASE_URL", TEXT, "https://api.openai.com", "OpenAI API endpoint", HOSTED
)
OPENAI_IMAGE_MODELS = _knob(
    "ANCHORBOARD_OPENAI_IMAGE_MODELS", NAMES, ("gpt-image-1.5",),
    "one engine `openai-<model>` each", HOSTED,
)  # fmt: skip
OPENAI_QUALITY = _knob(
    "ANCHORBOARD_OPENAI_QUALITY", TEXT, "medium",
    "`low`/`medium`/`high`/`auto`; a job's `params.quality` wins", HOSTED,
)  # fmt: skip
OPENAI_SIZES = _knob(
    "ANCHORBOARD_OPENAI_SIZES", NAMES, ("1024x1024", "1536x1024", "1024x1536"),
    "sizes to choose from (closest aspect ratio)", HOSTED,
)  # fmt: skip
OPENAI_PRICES_PER_MTOK = _knob(
    "ANCHORBOARD_OPENAI_PRICES_PER_MTOK", NAMES, ("5", "8", "32"),
    "USD per 1M text-in, image-in, image-out tokens (cost estimates)", HOSTED,
)  # fmt: skip
OPENAI_TIMEOUT = _knob(
    "ANCHORBOARD_OPENAI_TIMEOUT", NUMBER, 180.0, "seconds to wait for OpenAI's answer", HOSTED
)
OPENAI_CONNECT_TIMEOUT = _knob(
    "ANCHORBOARD_OPENAI_CONNECT_TIMEOUT", NUMBER, 10.0, "seconds to connect to OpenAI", HOSTED
)
PROVIDER_CONCURRENCY = _knob(
    "ANCHORBOARD_PROVIDER_CONCURRENCY", WHOLE_PAIRS, {"gemini": 4, "openai": 2},
    "running jobs per engine of that provider; a provider not named keeps its default", HOSTED,
)  # fmt: skip
BREAKER_FAILURES = _knob(
    "ANCHORBOARD_BREAKER_FAILURES", WHOLE, 5,
    "consecutive transient failures that open a provider's circuit", HOSTED,
)  # fmt: skip
BREAKER_COOLDOWN_SECONDS = _knob(
    "ANCHORBOARD_BREAKER_COOLDOWN_SECONDS", NUMBER, 60.0,
    "how long an open circuit waits before letting one probe call through", HOSTED,
)  # fmt: skip
ENGINE_FALLBACKS = _knob(
    "ANCHORBOARD_ENGINE_FALLBACKS", CHAINS, {},
    "engines to try when one's circuit is open: `engine=next>next2,…` (or `{engine: [next, …]}` "
    "in settings); boards opt in",
    HOSTED, shown_default="none",
)  # fmt: skip

# --- ComfyUI ----------------------------------------------------------------------------------

COMFYUI_URL = _knob(
    "ANCHORBOARD_COMFYUI_URL", TEXT, "",
    "e.g. `http://gpu-box:8188`; no URL = no engine (`COMFYUI_URL` works too)", COMFYUI,
    aliases=("COMFYUI_URL",),
)  # fmt: skip
COMFYUI_WORKFLOWS_DIR = _knob(
    "ANCHORBOARD_COMFYUI_WORKFLOWS_DIR", TEXT, "",
    "folder of your own workflow templates (`COMFYUI_WORKFLOWS_DIR` works too)", COMFYUI,
    aliases=("COMFYUI_WORKFLOWS_DIR",),
)  # fmt: skip
COMFYUI_MODELS = _knob(
    "ANCHORBOARD_COMFYUI_MODELS", NAMES, (),
    "checkpoint file names for `{{model}}`; the first is the default", COMFYUI,
)  # fmt: skip
COMFYUI_TIMEOUT = _knob(
    "ANCHORBOARD_COMFYUI_TIMEOUT", NUMBER, 60.0,
    "seconds per HTTP call (uploads, `/view`)", COMFYUI,
)  # fmt: skip
COMFYUI_CONNECT_TIMEOUT = _knob(
    "ANCHORBOARD_COMFYUI_CONNECT_TIMEOUT", NUMBER, 10.0, "seconds to connect", COMFYUI
)
COMFYUI_TIME_LIMIT = _knob(
    "ANCHORBOARD_COMFYUI_TIME_LIMIT", optional(NUMBER), None,
    "one prompt, submit to result", COMFYUI,
    shown_default="`ANCHORBOARD_JOB_TIME_LIMIT_SECONDS`",
)  # fmt: skip
COMFYUI_POLL_SECONDS = _knob(
    "ANCHORBOARD_COMFYUI_POLL_SECONDS", NUMBER, 1.0,
    "`/history` polling when the websocket is gone", COMFYUI,
)  # fmt: skip
COMFYUI_MAX_COUNT = _knob(
    "ANCHORBOARD_COMFYUI_MAX_COUNT", WHOLE, 4, "results per job (one prompt each)", COMFYUI
)
COMFYUI_CONCURRENCY = _knob(
    "ANCHORBOARD_COMFYUI_CONCURRENCY", WHOLE, 1, "ComfyUI jobs running at once", COMFYUI
)

# --- AUTOMATIC1111 / Forge --------------------------------------------------------------------

A1111_URL = _knob(
    "ANCHORBOARD_A1111_URL", TEXT, "",
    "e.g. `http://gpu-box:7860`; no URL = no engine (`A1111_URL` works too)", A1111,
    aliases=("A1111_URL",),
)  # fmt: skip
A1111_AUTH = _knob(
    "ANCHORBOARD_A1111_AUTH", TEXT, "",
    "`user:password` for `--api-auth` (HTTP Basic); environment only", A1111,
    environment_only=True,
)  # fmt: skip
A1111_MODELS = _knob(
    "ANCHORBOARD_A1111_MODELS", NAMES, (),
    "checkpoint titles; the first is the default; none = the loaded one", A1111,
)  # fmt: skip
A1111_SAMPLER = _knob(
    "ANCHORBOARD_A1111_SAMPLER", TEXT, "Euler a", "default sampler; `params.sampler` wins", A1111
)
A1111_STEPS = _knob(
    "ANCHORBOARD_A1111_STEPS", WHOLE, 25, "default steps; `params.steps` wins", A1111
)
A1111_CFG_SCALE = _knob(
    "ANCHORBOARD_A1111_CFG_SCALE", NUMBER, 7.0, "default CFG scale; `params.cfg` wins", A1111
)
A1111_UPSCALER = _knob(
    "ANCHORBOARD_A1111_UPSCALER", TEXT, "Lanczos",
    "`upscaler_1` for upscale jobs; `params.upscaler` wins", A1111,
)  # fmt: skip
A1111_TIME_LIMIT = _knob(
    "ANCHORBOARD_A1111_TIME_LIMIT", optional(NUMBER), None,
    "one call, waiting in A1111's queue included", A1111,
    shown_default="`ANCHORBOARD_JOB_TIME_LIMIT_SECONDS`",
)  # fmt: skip
A1111_CONNECT_TIMEOUT = _knob(
    "ANCHORBOARD_A1111_CONNECT_TIMEOUT", NUMBER, 10.0, "seconds to connect", A1111
)
A1111_POLL_SECONDS = _knob(
    "ANCHORBOARD_A1111_POLL_SECONDS", NUMBER, 1.0, "`/progress` polling interval", A1111
)
A1111_PREVIEWS = _knob(
    "ANCHORBOARD_A1111_PREVIEWS", FLAG, True, "0 = do not forward live previews", A1111
)
A1111_MAX_COUNT = _knob(
    "ANCHORBOARD_A1111_MAX_COUNT", WHOLE, 4, "results per job (one batch)", A1111
)
A1111_CONCURRENCY = _knob(
    "ANCHORBOARD_A1111_CONCURRENCY", WHOLE, 1, "A1111 jobs running at once", A1111
)

# --- Webhooks ---------------------------------------------------------------------------------

WEBHOOK_ALLOW_PRIVATE_URLS = _knob(
    "ANCHORBOARD_WEBHOOK_ALLOW_PRIVATE_URLS", FLAG, False,
    "webhook URLs may reach private and loopback addresses, plain `http://` to loopback only "
    "(tests, local development); link-local and metadata addresses stay refused", WEBHOOKS,
)  # fmt: skip
WEBHOOK_SENDERS = _knob(
    "ANCHORBOARD_WEBHOOK_SENDERS", WHOLE, 4,
    "threads per worker process that send webhook deliveries (never a job's)", WEBHOOKS,
)  # fmt: skip

# --- Exports: Content Credentials (C2PA); the algorithm follows the key ---------------------
C2PA_CERT_PATH = _knob(
    "ANCHORBOARD_C2PA_CERT_PATH", TEXT, "", "PEM: the signing certificate, then intermediates "
    "(no root); empty = exported JPEG/PNG files are not signed", EXPORTS,
)  # fmt: skip
C2PA_KEY_PATH = _knob(
    "ANCHORBOARD_C2PA_KEY_PATH", TEXT, "", "PEM (PKCS#8) private key of that certificate "
    "(EC P-256/384/521, Ed25519 or RSA); readable by the server only, never committed", EXPORTS,
)  # fmt: skip
C2PA_TIMESTAMP_URL = _knob(
    "ANCHORBOARD_C2PA_TIMESTAMP_URL", TEXT, "", "RFC 3161 timestamp authority (signatures "
    "stay valid past the certificate's expiry); empty = none", EXPORTS,
)  # fmt: skip

# --- Development and tests --------------------------------------------------------------------

PORT = _knob(
    "PORT", WHOLE, 8000, "listening port of `dev.py start` and `manage.py serve`", DEVELOPMENT
)
CHROMIUM = _knob(
    "ANCHORBOARD_CHROMIUM", TEXT, "", "Chromium binary for the browser tests", DEVELOPMENT,
    shown_default="found on `PATH`", read_in="dev.py, tests/conftest.py",
)  # fmt: skip
TEST_WORKERS = _knob(
    "ANCHORBOARD_TEST_WORKERS", WHOLE, 2, "pytest-xdist workers (`0` = one process)",
    DEVELOPMENT, read_in="dev.py",
)  # fmt: skip
CI = _knob(
    "CI", FLAG, False, "missing PostgreSQL/Redis/Chromium fails tests instead of skipping them",
    DEVELOPMENT, read_in="tests/conftest.py",
)  # fmt: skip
REQUIRE_SERVICES = _knob(
    "ANCHORBOARD_REQUIRE_SERVICES", FLAG, False, "the same as `CI` for the service fixtures",
    DEVELOPMENT, read_in="tests/conftest.py",
)  # fmt: skip
REDIS_TEST_URL = _knob(
    "REDIS_TEST_URL", TEXT, "redis://127.0.0.1:6379/15", "Redis for the tests", DEVELOPMENT,
    read_in="tests/conftest.py",
)  # fmt: skip
VITE_MANIFEST_PATH = _knob(
    "VITE_MANIFEST_PATH", TEXT, "",
    "Vite's manifest of the built frontend (tests point it elsewhere)", DEVELOPMENT,
    shown_default="`frontend/dist/.vite/manifest.json`",
)  # fmt: skip
