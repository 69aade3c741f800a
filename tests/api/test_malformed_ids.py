"""Every API operation, called with an id that is not an id: a 4xx with the error envelope,
never a 500.

The malformed-request run found ``/batches/{id}/approvals/x/undo`` answering 500 (the ORM
raises ``ValidationError`` for a primary key that is not a UUID, and only a real batch id let
the request reach that lookup). So the malformed value goes into one path parameter at a time
while the others carry real ids of a seeded board, batch, job and result, owned by the caller.
The operations are read from the API's own OpenAPI schema: one added later is covered without
editing this file.
"""

from __future__ import annotations

import re

import pytest

from anchorboard.api import api as ninja_api
from canvas.models import Iteration, Job
from tests.review.batch_seed import seed_batch

MALFORMED = ("x", "0" * 40, "00000000-0000-0000-0000-00000000000g", "%2e%2e", "1e308")
PARAM = re.compile(r"\{(\w+)\}")


def _operations() -> list[tuple[str, str]]:
    schema = ninja_api.get_openapi_schema()
    return sorted(
        (method, path)
        for path, ops in schema["paths"].items()
        for method in ops
        if PARAM.search(path)
    )


def _url(path: str, position: int, bad: str, real: dict) -> str:
    """``path`` with ``bad`` as its ``position``-th parameter and real ids (where known) for
    the others."""
    parts = PARAM.split(path)  # literal, name, literal, name, …, literal
    return "".join(
        part if i % 2 == 0 else bad if i // 2 == position else str(real.get(part, bad))
        for i, part in enumerate(parts)
    )


def test_the_schema_lists_operations_with_ids():
    # A schema read that silently yields nothing would make the test below vacuous.
    assert len(_operations()) >= 60


@pytest.mark.slow
def test_a_malformed_id_is_a_4xx_with_the_error_envelope(api, alice, board, settings):
    settings.ANCHORBOARD_JOB_USER_CONCURRENCY = 8
    batch = seed_batch(board, alice)["batch"]
    real = {
        "board_id": board.pk,
        "team_id": board.team_id,
        "user_id": alice.pk,
        "batch_id": batch.pk,
        "job_id": Job.objects.filter(batch=batch).first().pk,
        "iteration_id": Iteration.objects.filter(job__batch=batch).first().pk,
    }
    wrong = []
    calls = 0
    for method, path in _operations():
        for position in range(len(PARAM.findall(path))):
            for bad in MALFORMED:
                url = _url(path, position, bad, real)
                call = getattr(api, method)
                if method in ("get", "delete"):
                    response = call(url)
                else:
                    response = call(url, "{}", content_type="application/json")
                calls += 1
                ok = 400 <= response.status_code < 500
                if ok and response["Content-Type"].startswith("application/json"):
                    error = response.json().get("error") or {}
                    ok = bool(error.get("code") and error.get("message"))
                if not ok:
                    wrong.append((method, url, response.status_code, response.content[:200]))
    assert calls > 300
    assert wrong == []
