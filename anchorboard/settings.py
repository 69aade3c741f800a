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
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from foundation import knobs
from foundation.config import from_environment as env

# A bad value of any knob fails here, at start-up, with a sentence naming it.
knobs.check_environment()


BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env(knobs.DATA_DIR) or BASE_DIR / "var").resolve()

DJANGO_ENV = env(knobs.DJANGO_ENV)
PRODUCTION = DJANGO_ENV == "production"
DEBUG = env(knobs.DEBUG) and not PRODUCTION


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
    key = env(knobs.SECRET_KEY)
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

ALLOWED_HOSTS = list(env(knobs.ALLOWED_HOSTS)) or (
    [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"]
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
CSRF_TRUSTED_ORIGINS = list(env(knobs.CSRF_TRUSTED_ORIGINS))

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
    "canvas.webhooks",
    "canvas.exports",
    "canvas.ops",
    "canvas.pilot",
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

DATABASE_URL = env(knobs.DATABASE_URL)
if DATABASE_URL:
    # Under ASGI every request may run on a different thread, so long-lived per-thread
    # connections pile up; Django recommends closing them (0) unless a pool is in front.
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env(knobs.CONN_MAX_AGE),
            conn_health_checks=True,
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "anchorboard.sqlite3"),
            "CONN_MAX_AGE": None,
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
# socket timeout must stay well above the blocking pop (tests/boardsocket/test_redis_idle.py).
REDIS_SOCKET_TIMEOUT = 20


def redis_channel_layer(url: str, prefix: str = "asgi") -> dict[str, Any]:
    """The channels-redis layer settings for ``url`` (also used by the tests)."""
    host = {
        "address": url,
        "socket_timeout": REDIS_SOCKET_TIMEOUT,
        "socket_connect_timeout": 5,
        "socket_keepalive": True,
        "health_check_interval": 30,
        # A restarted Redis leaves every pooled connection broken, each found out by the next
        # command on it ("Connection closed by server"): that command is tried once more on
        # a new connection instead of failing (a lost broadcast, a board room left out of
        # its group: tests/boardsocket/test_fanout_redis_restart.py).
        "retry": Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
    }
    return {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [host], "prefix": prefix, "capacity": 1500, "expiry": 30},
    }


REDIS_URL = env(knobs.REDIS_URL)
if REDIS_URL:
    CHANNEL_LAYERS = {"default": redis_channel_layer(REDIS_URL)}
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            # A board's fan-out channel carries every event of the board for the process
            # (canvas.boardsocket.fanout): room for bursts (Channels' default is 100). Sockets' own
            # channels carry next to nothing, so one capacity fits all.
            "CONFIG": {"capacity": 10000},
        }
    }

CELERY_BROKER_URL = env(knobs.CELERY_BROKER_URL) or REDIS_URL
# "embedded": a worker pool inside the server process; "celery": Celery workers elsewhere.
# "inline": run at commit time in the caller's thread (tests only).
ANCHORBOARD_DISPATCHER = env(knobs.DISPATCHER)  # embedded, celery or inline (checked there)
if ANCHORBOARD_DISPATCHER == "celery" and not CELERY_BROKER_URL:
    raise ImproperlyConfigured(
        "ANCHORBOARD_DISPATCHER=celery needs a broker: set REDIS_URL or CELERY_BROKER_URL."
    )
ANCHORBOARD_EMBEDDED_WORKERS = env(knobs.EMBEDDED_WORKERS)
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

AWS_STORAGE_BUCKET_NAME = env(knobs.S3_BUCKET)
if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env(knobs.S3_ENDPOINT_URL) or None,
            "region_name": env(knobs.S3_REGION) or None,
            "access_key": env(knobs.S3_ACCESS_KEY_ID) or None,
            "secret_key": env(knobs.S3_SECRET_ACCESS_KEY) or None,
            "default_acl": None,  # never public-read; objects inherit the private bucket policy
            "querystring_auth": True,
            "querystring_expire": env(knobs.S3_URL_SECONDS),
            "file_overwrite": True,  # keys are content hashes: same key, same bytes
            "location": env(knobs.S3_LOCATION),
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

ANCHORBOARD_MAX_IMAGE_PIXELS = env(knobs.MAX_IMAGE_PIXELS)
ANCHORBOARD_MAX_UPLOAD_BYTES = env(knobs.MAX_UPLOAD_BYTES)
# Every request body other than an asset upload (JSON, forms): anchorboard.request_admission.
ANCHORBOARD_MAX_REQUEST_BYTES = env(knobs.MAX_REQUEST_BYTES)
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


CACHE_URL = env(knobs.CACHE_URL) or REDIS_URL
CACHES = {
    "default": _cache_from_url(CACHE_URL)
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "anchorboard"}
}
# Proxies whose X-Forwarded-For is believed (addresses or networks); see
# foundation/client_address.py. Empty: the TCP peer (REMOTE_ADDR) is the client.
ANCHORBOARD_TRUSTED_PROXIES = list(env(knobs.TRUSTED_PROXIES))
for _proxy in ANCHORBOARD_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"ANCHORBOARD_TRUSTED_PROXIES: {_proxy!r} is not an IP address or network; list "
            "the reverse proxies in front of Anchorboard, e.g. 10.0.0.5,10.0.1.0/24."
        ) from None
# Password throttling, sign-up and invitation knobs are read where they are used
# (foundation/password_throttle.py, canvas/members/) through foundation.config.

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
    SECURE_SSL_REDIRECT = env(knobs.SECURE_SSL_REDIRECT)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env(knobs.SECURE_HSTS_SECONDS)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if env(knobs.BEHIND_TLS_PROXY):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # /healthz and /readyz are probed over plain HTTP by load balancers; Prometheus scrapes
    # /metrics inside the private network (a redirect would not keep its token from the wire:
    # the header was sent with the first request already).
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env(knobs.LOG_LEVEL)},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "daphne": {"level": "WARNING"},
    },
}
