"""Settings for every deployment of Anchorboard, read from the environment (12-factor).

With nothing set, the *embedded default* runs: SQLite in WAL mode, media in a local folder,
the in-memory channel layer and job workers inside the server process. Each of these is
switched independently by an environment variable (see docs/architecture.md and
docs/deploy.md for the full list):

- ``DATABASE_URL``            -> PostgreSQL (or any database dj-database-url understands)
- ``REDIS_URL``               -> channels-redis channel layer (and the default Celery broker)
- ``ANCHORBOARD_DISPATCHER``  -> ``embedded`` (default) or ``celery``
- ``AWS_STORAGE_BUCKET_NAME`` -> S3-compatible object storage through django-storages
- ``DJANGO_ENV=production``   -> hardened HTTPS settings that pass ``check --deploy``

This module must stay declarative: no I/O besides reading the environment and, in
development only, a generated secret key under the data directory.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return [part.strip() for part in value.split(",") if part.strip()]


BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("ANCHORBOARD_DATA_DIR", str(BASE_DIR / "var"))).resolve()

DJANGO_ENV = env_str("DJANGO_ENV", "development")
PRODUCTION = DJANGO_ENV == "production"
DEBUG = env_bool("DJANGO_DEBUG", False) and not PRODUCTION


# Django's own rule for a strong key (check --deploy, security.W009).
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE_CHARACTERS = 5


def _refuse_weak_secret_key(key: str) -> None:
    if (
        len(key) < SECRET_KEY_MIN_LENGTH
        or len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
        or key.startswith("django-insecure-")
    ):
        raise ImproperlyConfigured(
            f"DJANGO_SECRET_KEY is too weak for production: use at least "
            f"{SECRET_KEY_MIN_LENGTH} random characters (it has {len(key)}, "
            f"{len(set(key))} different). Generate one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
        )


def _secret_key() -> str:
    key = env_str("DJANGO_SECRET_KEY")
    if key and PRODUCTION:
        _refuse_weak_secret_key(key)
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_ENV=production. Generate one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'` and keep it secret."
        )
    # Development: a random key kept beside the data so sessions survive restarts.
    path = DATA_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # Written privately (mkstemp: 0600) and complete, then linked into place: a process
    # starting at the same moment sees either no key or the whole key, never half of one,
    # and the first writer wins.
    fd, tmp = tempfile.mkstemp(dir=DATA_DIR, prefix=".secret_key-")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
        with contextlib.suppress(FileExistsError):  # another process was first: use its key
            os.link(tmp, path)
    finally:
        os.unlink(tmp)
    return path.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS must be set when DJANGO_ENV=production: a comma-separated list "
        "of the host names people use to reach Anchorboard, e.g. anchorboard.example.com."
    )
_wildcards = [host for host in ALLOWED_HOSTS if not host.strip("*.")]
if PRODUCTION and _wildcards:
    raise ImproperlyConfigured(
        f"DJANGO_ALLOWED_HOSTS must not contain {_wildcards[0]!r} when DJANGO_ENV=production: a "
        "wildcard accepts any Host header (poisoned password-reset links and caches). List "
        "the host names people use to reach Anchorboard, e.g. anchorboard.example.com."
    )
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "anchorboard.apps.AdminConfig",  # django.contrib.admin, throttled sign-in
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "ninja",
    "canvas",
    "assets",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "anchorboard.urls"
ASGI_APPLICATION = "anchorboard.asgi.application"
WSGI_APPLICATION = "anchorboard.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    # Under ASGI every request may run on a different thread, so long-lived per-thread
    # connections pile up; Django recommends closing them (0) unless a pool is in front.
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 0),
            conn_health_checks=True,
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "anchorboard.sqlite3"),
            "OPTIONS": {
                # WAL lets the web server read while a worker writes; IMMEDIATE transactions
                # take the write lock up front so concurrent writers wait instead of failing.
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA busy_timeout=10000;"
                    "PRAGMA foreign_keys=ON;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channels, jobs -------------------------------------------------------------------------

# channels-redis waits for messages with a blocking pop of 5 s (RedisChannelLayer.
# brpop_timeout); redis-py's default socket timeout is also 5 s, so an idle socket's read
# raced the pop and the consumer died with TimeoutError (close 1011) every few seconds. The
# socket timeout must stay well above the blocking pop (tests/canvas/test_redis_idle.py).
REDIS_SOCKET_TIMEOUT = 20


def redis_channel_layer(url: str, prefix: str = "asgi") -> dict[str, Any]:
    """The channels-redis layer settings for ``url`` (also used by the tests)."""
    host = {
        "address": url,
        "socket_timeout": REDIS_SOCKET_TIMEOUT,
        "socket_connect_timeout": 5,
        "socket_keepalive": True,
        "health_check_interval": 30,
    }
    return {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [host], "prefix": prefix, "capacity": 1500, "expiry": 30},
    }


REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {"default": redis_channel_layer(REDIS_URL)}
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            # A board's fan-out channel carries every event of the board for the process
            # (canvas.fanout): room for bursts (Channels' default is 100). Sockets' own
            # channels carry next to nothing, so one capacity fits all.
            "CONFIG": {"capacity": 10000},
        }
    }

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
# "embedded": a worker pool inside the server process; "celery": Celery workers elsewhere.
# "inline": run at commit time in the caller's thread (tests only).
ANCHORBOARD_DISPATCHER = env_str("ANCHORBOARD_DISPATCHER", "embedded")
if ANCHORBOARD_DISPATCHER not in {"embedded", "celery", "inline"}:
    raise ImproperlyConfigured(
        f"ANCHORBOARD_DISPATCHER must be embedded, celery or inline, got {ANCHORBOARD_DISPATCHER!r}"
    )
if ANCHORBOARD_DISPATCHER == "celery" and not CELERY_BROKER_URL:
    raise ImproperlyConfigured(
        "ANCHORBOARD_DISPATCHER=celery needs a broker: set REDIS_URL or CELERY_BROKER_URL."
    )
ANCHORBOARD_EMBEDDED_WORKERS = env_int("ANCHORBOARD_EMBEDDED_WORKERS", 2)
# Wiring, not a knob: the Celery application foundation.background sends tasks through
# (named here so the foundation never imports the composition root).
ANCHORBOARD_CELERY_APP = "anchorboard.celery_app.app"

# --- Storage --------------------------------------------------------------------------------

MEDIA_ROOT = DATA_DIR / "media"
# No MEDIA_URL is served: every file goes through an authorised view (canvas.library.views).
MEDIA_URL = "/files/"
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static", BASE_DIR / "frontend" / "dist"]

AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            "access_key": env_str("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env_str("AWS_SECRET_ACCESS_KEY") or None,
            "default_acl": None,  # never public-read; objects inherit the private bucket policy
            "querystring_auth": True,
            "querystring_expire": env_int("AWS_QUERYSTRING_EXPIRE", 300),
            "file_overwrite": True,  # keys are content hashes: same key, same bytes
            "location": env_str("AWS_LOCATION", ""),
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": None},
    }

STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Outside production static files come straight from static/ and frontend/dist (no
# collectstatic step), re-read on change so a fresh `npm run build` shows up without restart.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION

# --- Uploads and images ---------------------------------------------------------------------

ANCHORBOARD_MAX_IMAGE_PIXELS = env_int("ANCHORBOARD_MAX_IMAGE_PIXELS", 64_000_000)
ANCHORBOARD_MAX_UPLOAD_BYTES = env_int("ANCHORBOARD_MAX_UPLOAD_BYTES", 200 * 1024 * 1024)
# Every request body other than an asset upload (JSON, forms): anchorboard.request_admission.
ANCHORBOARD_MAX_REQUEST_BYTES = env_int("ANCHORBOARD_MAX_REQUEST_BYTES", 512 * 1024)
ANCHORBOARD_DERIVATIVE_SIZES = (256, 1024, 2048)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = 200

# --- Auth -----------------------------------------------------------------------------------

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "board-list"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Cache and password throttling -----------------------------------------------------------
# The cache holds throttle counters (passwords, guest comments) and must be shared by every
# server process: CACHE_URL names it explicitly, else REDIS_URL is used, else (the embedded
# default, one process) local memory. docs/architecture.md, "Password throttling".


def _cache_from_url(url: str) -> dict[str, object]:
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "anchorboard",
        }
    if url.startswith("locmem://"):
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": url[9:]}
    raise ImproperlyConfigured(
        f"CACHE_URL (or REDIS_URL) must start with redis://, rediss://, unix:// or locmem://, "
        f"got {url!r}."
    )


CACHE_URL = env_str("CACHE_URL") or REDIS_URL
CACHES = {
    "default": _cache_from_url(CACHE_URL)
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "anchorboard"}
}
# Proxies whose X-Forwarded-For is believed (addresses or networks); see
# foundation/client_address.py. Empty: the TCP peer (REMOTE_ADDR) is the client.
ANCHORBOARD_TRUSTED_PROXIES = env_list("ANCHORBOARD_TRUSTED_PROXIES", [])
for _proxy in ANCHORBOARD_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"ANCHORBOARD_TRUSTED_PROXIES: {_proxy!r} is not an IP address or network; list "
            "the reverse proxies in front of Anchorboard, e.g. 10.0.0.5,10.0.1.0/24."
        ) from None
ANCHORBOARD_PASSWORD_FREE_FAILURES = env_int("ANCHORBOARD_PASSWORD_FREE_FAILURES", 5)
ANCHORBOARD_PASSWORD_BASE_DELAY_SECONDS = env_int("ANCHORBOARD_PASSWORD_BASE_DELAY_SECONDS", 30)
ANCHORBOARD_PASSWORD_MAX_DELAY_SECONDS = env_int("ANCHORBOARD_PASSWORD_MAX_DELAY_SECONDS", 900)
ANCHORBOARD_PASSWORD_FORGET_SECONDS = env_int("ANCHORBOARD_PASSWORD_FORGET_SECONDS", 86_400)
ANCHORBOARD_PASSWORD_ATTACK_FAILURES = env_int("ANCHORBOARD_PASSWORD_ATTACK_FAILURES", 100)
# New accounts (open sign-up, invitation links) per client address; the rest of the policy is
# in foundation/password_throttle.py (SIGN_UP_POLICY). docs/members.md.
ANCHORBOARD_SIGNUP_FREE_FAILURES = env_int("ANCHORBOARD_SIGNUP_FREE_FAILURES", 20)
ANCHORBOARD_SIGNUP_BASE_DELAY_SECONDS = env_int("ANCHORBOARD_SIGNUP_BASE_DELAY_SECONDS", 60)
# How long a new invitation link works unless its maker says otherwise (1-30 days).
ANCHORBOARD_INVITATION_DAYS = env_int("ANCHORBOARD_INVITATION_DAYS", 7)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Security -------------------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the canvas reads it to send X-CSRFToken
CSRF_FAILURE_VIEW = "canvas.views.errors.csrf_failure"  # a page a person can act on
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # /healthz and /readyz are probed over plain HTTP by load balancers.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "daphne": {"level": "WARNING"},
    },
}
