"""/healthz and /readyz: liveness never depends on anything; readiness names what is down."""

from __future__ import annotations

import socket

import pytest


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def redis_layer(url: str) -> dict:
    return {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [url]}}
    }


def test_healthz_answers_without_dependencies(client, settings, closed_port):
    # Even with the channel layer down, liveness stays green: a restart would not help.
    settings.CHANNEL_LAYERS = redis_layer(f"redis://127.0.0.1:{closed_port}/0")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_ok_in_the_embedded_default(client, media_root, in_memory_layer):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "channel_layer": "ok", "storage": "ok"}
    assert media_root.is_dir()  # the probe made sure uploads have somewhere to go


@pytest.mark.django_db
def test_readyz_names_a_broken_channel_layer(client, settings, media_root, closed_port):
    settings.CHANNEL_LAYERS = redis_layer(f"redis://127.0.0.1:{closed_port}/0")
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failing"] == ["channel_layer"]
    assert body["checks"]["channel_layer"].startswith("failed: ")
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["storage"] == "ok"


@pytest.mark.django_db
def test_readyz_names_unwritable_storage(client, settings, tmp_path, in_memory_layer):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the media folder should be")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocker / "media")},
        },
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["storage"]


@pytest.mark.django_db
def test_readyz_checks_the_celery_broker_only_with_celery(
    client, settings, media_root, in_memory_layer, closed_port
):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port}/0"
    assert "celery_broker" not in client.get("/readyz").json()["checks"]

    settings.ANCHORBOARD_DISPATCHER = "celery"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["celery_broker"]


@pytest.mark.redis
@pytest.mark.django_db
def test_readyz_ok_with_redis_layer_and_celery_broker(client, settings, media_root, redis_url):
    settings.CHANNEL_LAYERS = redis_layer(redis_url)
    settings.ANCHORBOARD_DISPATCHER = "celery"
    settings.CELERY_BROKER_URL = redis_url
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"] == {
        "database": "ok",
        "channel_layer": "ok",
        "storage": "ok",
        "celery_broker": "ok",
    }
