"""The settings modes: each environment variable switches one part of the deployment.

Settings are read once per process, so every case imports ``anchorboard.settings`` in a
fresh ``python -c`` subprocess with a controlled environment and reads back what Django
actually built (the storage object, the channel layer, a live SQLite connection) as JSON.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow

# Variables that choose a mode; removed from the inherited environment so that, for
# example, CI's DATABASE_URL does not leak into the "nothing set" case.
MODE_PREFIXES = ("DJANGO_", "ANCHORBOARD_", "AWS_", "CELERY_")
MODE_NAMES = {"DATABASE_URL", "REDIS_URL", "CACHE_URL"}

INSPECT = """
import json
import django
from django.conf import settings

django.setup()
from channels.layers import get_channel_layer
from django.core.cache import caches
from django.core.files.storage import default_storage

storage = default_storage  # a lazy proxy: attribute access builds the configured backend
storage_class = storage.__class__
layer = get_channel_layer()
out = {
    "engine": settings.DATABASES["default"]["ENGINE"],
    "db_name": str(settings.DATABASES["default"]["NAME"]),
    "channel_layer": f"{type(layer).__module__}.{type(layer).__name__}",
    "dispatcher": settings.ANCHORBOARD_DISPATCHER,
    "storage": f"{storage_class.__module__}.{storage_class.__name__}",
    "debug": settings.DEBUG,
    "cache": f"{type(caches['default']).__module__}.{type(caches['default']).__name__}",
}
if out["storage"].endswith("FileSystemStorage"):
    out["storage_location"] = str(storage.location)
else:
    out["bucket"] = storage.bucket_name
    out["endpoint_url"] = storage.endpoint_url
    out["default_acl"] = storage.default_acl
    out["querystring_auth"] = storage.querystring_auth
if out["engine"].endswith("sqlite3"):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        out["journal_mode"] = cursor.fetchone()[0]
print(json.dumps(out))
"""


def clean_env(data_dir: Path, **overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in MODE_NAMES and not key.startswith(MODE_PREFIXES)
    }
    env["DJANGO_SETTINGS_MODULE"] = "anchorboard.settings"
    env["ANCHORBOARD_DATA_DIR"] = str(data_dir)
    env.update(overrides)
    return env


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def inspect_settings(data_dir: Path, **overrides: str) -> dict:
    result = run_python(INSPECT, clean_env(data_dir, **overrides))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def production_env(data_dir: Path, **overrides: str) -> dict[str, str]:
    base = {
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "anchorboard.example.com",
    }
    return clean_env(data_dir, **{**base, **overrides})


def test_nothing_set_is_the_embedded_default(tmp_path):
    out = inspect_settings(tmp_path)
    assert out["engine"] == "django.db.backends.sqlite3"
    assert out["db_name"] == str(tmp_path / "anchorboard.sqlite3")
    # The pragma is read back from a real connection, not from the settings text.
    assert out["journal_mode"] == "wal"
    assert (tmp_path / "anchorboard.sqlite3").exists()
    assert out["channel_layer"] == "channels.layers.InMemoryChannelLayer"
    assert out["dispatcher"] == "embedded"
    assert out["storage"] == "django.core.files.storage.filesystem.FileSystemStorage"
    assert out["storage_location"] == str(tmp_path / "media")
    assert out["debug"] is False
    assert out["cache"] == "django.core.cache.backends.locmem.LocMemCache"


def test_development_secret_key_is_private_and_stable(tmp_path):
    code = "from anchorboard import settings; print(settings.SECRET_KEY)"
    first = run_python(code, clean_env(tmp_path))
    second = run_python(code, clean_env(tmp_path))
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert len(first.stdout.strip()) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_processes_starting_together_agree_on_the_development_key(tmp_path):
    code = "from anchorboard import settings; print(settings.SECRET_KEY)"
    starts = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=clean_env(tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    keys = set()
    for process in starts:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        keys.add(out.strip())
    assert len(keys) == 1
    assert keys == {(tmp_path / "secret_key").read_text()}
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no temp files left


def test_database_url_selects_postgresql(tmp_path):
    out_code = (
        "import json; from anchorboard import settings; "
        "print(json.dumps(settings.DATABASES['default'], default=str))"
    )
    result = run_python(
        out_code,
        clean_env(tmp_path, DATABASE_URL="postgres://board:pw@db.internal:5433/anchorboard"),
    )
    assert result.returncode == 0, result.stderr
    db = json.loads(result.stdout)
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["HOST"], db["PORT"], db["NAME"], db["USER"]) == (
        "db.internal",
        5433,
        "anchorboard",
        "board",
    )


def test_redis_url_selects_the_redis_channel_layer(tmp_path):
    # Building the layer does not connect, so no Redis server is needed here.
    out = inspect_settings(tmp_path, REDIS_URL="redis://127.0.0.1:6379/3")
    assert out["channel_layer"] == "channels_redis.core.RedisChannelLayer"
    assert out["dispatcher"] == "embedded"
    # Throttle counters are shared by every process through the same Redis.
    assert out["cache"] == "django.core.cache.backends.redis.RedisCache"


def test_bucket_selects_private_s3_storage(tmp_path):
    out = inspect_settings(
        tmp_path,
        AWS_STORAGE_BUCKET_NAME="anchorboard-media",
        AWS_S3_ENDPOINT_URL="http://127.0.0.1:9000",
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
    )
    assert out["storage"] == "storages.backends.s3.S3Storage"
    assert out["bucket"] == "anchorboard-media"
    assert out["endpoint_url"] == "http://127.0.0.1:9000"
    assert out["default_acl"] is None  # never public-read
    assert out["querystring_auth"] is True  # links are signed and expire


def test_celery_dispatcher_needs_a_broker(tmp_path):
    ok = inspect_settings(
        tmp_path, ANCHORBOARD_DISPATCHER="celery", REDIS_URL="redis://127.0.0.1:6379/0"
    )
    assert ok["dispatcher"] == "celery"
    result = run_python(INSPECT, clean_env(tmp_path, ANCHORBOARD_DISPATCHER="celery"))
    assert result.returncode != 0
    assert "set REDIS_URL or CELERY_BROKER_URL" in result.stderr


def test_unknown_dispatcher_is_a_clear_error(tmp_path):
    result = run_python(INSPECT, clean_env(tmp_path, ANCHORBOARD_DISPATCHER="threads"))
    assert result.returncode != 0
    assert "ANCHORBOARD_DISPATCHER must be embedded, celery or inline" in result.stderr


def deploy_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_passes_the_deploy_checks(tmp_path):
    result = deploy_check(production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_production_without_secret_key_is_a_clear_error(tmp_path):
    env = production_env(tmp_path)
    del env["DJANGO_SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set when DJANGO_ENV=production" in result.stderr
    # Production never falls back to a generated key file.
    assert not (tmp_path / "secret_key").exists()


def test_production_without_allowed_hosts_is_a_clear_error(tmp_path):
    env = production_env(tmp_path)
    del env["DJANGO_ALLOWED_HOSTS"]
    result = run_python("import anchorboard.settings", env)
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS must be set" in result.stderr


def test_cache_url_names_the_shared_cache_explicitly(tmp_path):
    code = (
        "import json; from anchorboard import settings; "
        "print(json.dumps(settings.CACHES['default']))"
    )
    result = run_python(
        code,
        clean_env(
            tmp_path, REDIS_URL="redis://127.0.0.1:6379/3", CACHE_URL="redis://cache.internal/2"
        ),
    )
    assert result.returncode == 0, result.stderr
    cache = json.loads(result.stdout)
    assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert cache["LOCATION"] == "redis://cache.internal/2"
    bad = run_python(INSPECT, clean_env(tmp_path, CACHE_URL="memcached://cache:11211"))
    assert bad.returncode != 0
    assert "CACHE_URL (or REDIS_URL) must start with redis://" in bad.stderr


def test_trusted_proxies_must_be_addresses(tmp_path):
    ok = run_python(
        "from anchorboard import settings; print(settings.ANCHORBOARD_TRUSTED_PROXIES)",
        clean_env(tmp_path, ANCHORBOARD_TRUSTED_PROXIES="10.0.0.5, 172.18.0.0/16"),
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "['10.0.0.5', '172.18.0.0/16']"
    bad = run_python(INSPECT, clean_env(tmp_path, ANCHORBOARD_TRUSTED_PROXIES="proxy.internal"))
    assert bad.returncode != 0
    assert "ANCHORBOARD_TRUSTED_PROXIES: 'proxy.internal' is not an IP address" in bad.stderr


@pytest.mark.parametrize(
    ("hosts", "refused"),
    [
        ("*", True),
        ("board.example.com,*", True),
        (".", True),
        ("*.*", True),
        (".board.example.com", False),  # every subdomain of one domain is fine
    ],
)
def test_production_refuses_wildcard_allowed_hosts(tmp_path, hosts, refused):
    result = run_python(
        "import anchorboard.settings", production_env(tmp_path, DJANGO_ALLOWED_HOSTS=hosts)
    )
    assert (result.returncode != 0) is refused, result.stderr
    if refused:
        assert "ImproperlyConfigured: DJANGO_ALLOWED_HOSTS must not contain" in result.stderr
        assert "List the host names people use" in result.stderr


@pytest.mark.parametrize(
    "key",
    [
        secrets.token_urlsafe(30),  # 40 characters: too short
        "ab" * 40,  # long, but two different characters
        "django-insecure-" + secrets.token_urlsafe(50),  # Django's own "insecure" marker
    ],
    ids=["short", "few-unique", "insecure-prefix"],
)
def test_production_refuses_a_weak_secret_key(tmp_path, key):
    result = run_python(
        "import anchorboard.settings", production_env(tmp_path, DJANGO_SECRET_KEY=key)
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY is too weak for production" in result.stderr
    assert "secrets.token_urlsafe(50)" in result.stderr
    assert key not in result.stderr  # the key itself is never echoed


EXAMPLE_ENV = ROOT / "deploy" / "anchorboard.env.example"
# What an operator would type over each placeholder of the example file.
FILLED_IN = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "board.example.com",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://board.example.com",
    "ANCHORBOARD_TRUSTED_PROXIES": "172.18.0.1",
}


def example_env() -> dict[str, str]:
    values = {}
    for line in EXAMPLE_ENV.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, value = line.partition("=")
        if "<" in value:
            value = FILLED_IN.get(name, re.sub(r"<[^>]*>", "filled-in", value))
        values[name] = value
    return values


def test_example_env_passes_the_deploy_checks(tmp_path):
    env = {**clean_env(tmp_path), **example_env()}
    assert env["DJANGO_ENV"] == "production"
    result = deploy_check(env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
