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


# --- Drift: a job whose results are scored against the board's anchors ------------------------

# Results that break exactly one thing against the lit-ball anchors (tests/governance/images.py).
DRIFTED_BALLS = {
    "lighting": {"light": (0.6, -0.5, 0.62)},  # lit from the other side
    "palette": {"albedo": (0.15, 0.3, 0.85)},  # a blue ball instead of a red one
}


def make_drift_job(board, user, *, consistent=8, drifted=("lighting", "palette")):
    """Anchors (a lit red ball, one per role) and one finished job whose results are
    ``consistent`` balls that vary a little, then one ball per metric in ``drifted``.
    Returns ``(consistent results, {metric: drifted result})``; nothing is scored yet
    (``score_results`` does what landing does)."""
    import numpy as np

    from tests.governance import images
    from tests.governance.conftest import add_anchor, png

    for role in ("palette", "lighting", "composition"):
        add_anchor(board, user, images.ball(size=128), role)
    rng = np.random.default_rng(7)
    ok = []
    job = None
    for index in range(consistent):
        centre = (0.5 + rng.uniform(-0.05, 0.05), 0.5 + rng.uniform(-0.05, 0.05))
        data = png(images.ball(centre=centre, size=128))
        it = make_candidate(board, user, job=job, index=index, data=data, prompt="red ball")
        job = it.job
        ok.append(it)
    bad = {}
    for offset, metric in enumerate(drifted):
        data = png(images.ball(size=128, **DRIFTED_BALLS[metric]))
        bad[metric] = make_candidate(board, user, job=job, index=consistent + offset, data=data)
    return ok, bad


def score_results(board, results, *, landed=True):
    """Score results as their landing does (canvas.governance.services.check)."""
    from canvas.governance import services

    return services.check(board, [it.asset_id for it in results], landed=landed)


@pytest.fixture
def drift_scored(people):
    """The drift job on ``people``'s board, scored as it landed (triage off, after-commit
    messages sent): (consistent results, {metric: drifted result})."""
    from django.test import TestCase

    ok, bad = make_drift_job(people["board"], people["owner"])
    with TestCase.captureOnCommitCallbacks(execute=True):
        score_results(people["board"], [*ok, *bad.values()])
    return ok, bad
