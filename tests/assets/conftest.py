"""Fixtures for the asset tests: an empty media folder, a board with people on it, and
helpers to upload and to look at what storage and the database now hold."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from assets.models import Asset, Blob
from assets.services import ingest_upload
from tests import factories


@pytest.fixture
def media(media_root: Path) -> Path:
    """An empty local media folder used as the default storage for this test."""
    media_root.mkdir(parents=True, exist_ok=True)
    return media_root


@pytest.fixture
def people(db):
    """owner (owner), viewer (viewer) and stranger (no role) around one board."""
    owner = factories.make_user("owner")
    viewer = factories.make_user("viewer")
    stranger = factories.make_user("stranger")
    board = factories.make_board(name="Moodboard", owner=owner, viewer=viewer)
    return {"owner": owner, "viewer": viewer, "stranger": stranger, "board": board}


@pytest.fixture
def board(people):
    return people["board"]


@pytest.fixture
def owner(people):
    return people["owner"]


@pytest.fixture
def upload(board, owner, media, django_capture_on_commit_callbacks):
    """upload(data, filename) -> Asset, running after-commit work (previews) inline."""

    def _upload(data: bytes, filename: str = "image.png", *, to=None, run_tasks: bool = True):
        with django_capture_on_commit_callbacks(execute=run_tasks):
            return ingest_upload(to or board, owner, io.BytesIO(data), filename)

    return _upload


def stored_files(root: Path) -> list[str]:
    """Every file under ``root``, as sorted relative paths (temporary files included)."""
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def nothing_stored(root: Path) -> bool:
    return stored_files(root) == [] and not Blob.objects.exists() and not Asset.objects.exists()
