"""Fixtures shared by the whole suite.

Service fixtures (PostgreSQL, Redis, Chromium) fail in CI (CI=true or
ANCHORBOARD_REQUIRE_SERVICES=1) when the service is missing, and skip with an install hint
on a laptop. A silent skip in CI would hide a broken deployment path.
"""

from __future__ import annotations

import os
import socket

import pytest

from tests import factories


def services_required() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true"} or os.environ.get(
        "ANCHORBOARD_REQUIRE_SERVICES", ""
    ) in {"1", "true"}


def missing_service(what: str, hint: str) -> None:
    """Fail in CI, skip elsewhere, always saying how to get the service."""
    message = f"{what} is not available. {hint}"
    if services_required():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


@pytest.fixture
def redis_url() -> str:
    """URL of a reachable Redis (REDIS_TEST_URL, default redis://127.0.0.1:6379/15)."""
    url = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
    host_port = url.split("//", 1)[1].split("/", 1)[0]
    host, _, port = host_port.rpartition(":")
    if not port_open(host or "127.0.0.1", int(port or 6379)):
        missing_service(
            "Redis at " + host_port, "Install and start redis-server (apt install redis-server)."
        )
    return url


@pytest.fixture
def chromium_path() -> str:
    path = os.environ.get("ANCHORBOARD_CHROMIUM", "")
    if not path or not os.path.exists(path):
        missing_service(
            "Chromium", "Install it with `apt install chromium` or set ANCHORBOARD_CHROMIUM."
        )
    return path


@pytest.fixture
def password() -> str:
    return factories.PASSWORD


@pytest.fixture
def media_root(settings, tmp_path):
    """Point file storage at an empty folder for this test."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media"), "base_url": None},
        },
    }
    return tmp_path / "media"
