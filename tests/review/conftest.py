"""Fixtures for review and sharing tests: a board with one member per role, candidates
backed by real stored images, share links, and API clients for members and guests."""

from __future__ import annotations

import io
import itertools

import pytest
from django.test import Client
from PIL import Image

from canvas.models import Iteration, Job, JobMode
from canvas.sharing import links
from tests import factories

_seq = itertools.count()


@pytest.fixture(autouse=True)
def _isolated(media_root, settings):
    """Empty storage and a fresh cache (rate-limit counters) for every test."""
    from django.core.cache import cache

    cache.clear()
    settings.ANCHORBOARD_JOB_PROGRESS_INTERVAL = 0.0
    yield
    cache.clear()


@pytest.fixture
def people(db):
    """owner, editor, reviewer, viewer on ``board``; ``stranger`` has no role anywhere."""
    users = {name: factories.make_user(name) for name in ("olive", "eddie", "rita", "vera", "sam")}
    board = factories.make_board(
        owner=users["olive"],
        name="Cliffs",
        editor=users["eddie"],
        reviewer=users["rita"],
        viewer=users["vera"],
    )
    return {
        "board": board,
        "owner": users["olive"],
        "editor": users["eddie"],
        "reviewer": users["rita"],
        "viewer": users["vera"],
        "stranger": users["sam"],
    }


def jpeg_with_exif(size=(40, 30), color=(10, 120, 200)) -> bytes:
    image = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0131] = "StudioTool 1.0"  # Software
    exif[0x9003] = "2026:01:02 03:04:05"  # DateTimeOriginal (in the base IFD for the test)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def make_candidate(
    board,
    user,
    *,
    parent=None,
    mode=JobMode.IMG2IMG,
    region=None,
    data: bytes | None = None,
    filename="result.png",
    status="staged",
    job=None,
    index=0,
    prompt="misty cliffs",
):
    """A finished job's result (Iteration) with its own stored image and a stored source.

    Each call makes a new job unless ``job`` is given (then it is result ``index`` of that
    job, with the job's region): ``make_variations`` builds a job with several results.
    """
    from assets.services import ingest_bytes

    n = next(_seq)
    if job is None:
        region = region or {"x": 0, "y": 0, "width": 40, "height": 30}
        job = Job.objects.create(
            board=board,
            created_by=user,
            mode=mode,
            engine="local",
            state="succeeded",
            spec={"mode": mode, "region": region, "prompt": prompt},
            parent_iteration=parent,
        )
    region = region or job.spec["region"]
    color = (n * 37 % 255, n * 91 % 255, n * 13 % 255)
    asset = ingest_bytes(board, user, data or factories.png_bytes((40, 30), color), filename)
    source = ingest_bytes(board, user, factories.png_bytes((40, 30), (1, 2, n % 255)), "src.png")
    return Iteration.objects.create(
        board=board,
        job=job,
        index=index,
        asset=asset,
        source_asset=source,
        parent=parent,
        region=region,
        status=status,
        provenance={"engine": "local", "prompt": prompt},
    )


def make_variations(board, user, count=4, **options):
    """One job with ``count`` results (Result 1 … Result n), as a variations run makes."""
    first = make_candidate(board, user, **options)
    rest = [
        make_candidate(board, user, job=first.job, index=i, parent=options.get("parent"))
        for i in range(1, count)
    ]
    return [first, *rest]


@pytest.fixture
def candidate(people):
    return make_candidate(people["board"], people["owner"])


def make_link(board, user, **options):
    """(link, token) created through the domain function, as the API does."""
    return links.create_link(board, user, **options)


def member_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api(client: Client, method: str, path: str, body=None):
    """JSON request to /api/v1; session + CSRF are exercised by dedicated API tests elsewhere."""
    kwargs = {"content_type": "application/json"}
    if body is not None:
        import json

        kwargs["data"] = json.dumps(body)
    return getattr(client, method.lower())(f"/api/v1{path}", **kwargs)
