"""Reading A1111's answers: HTTP status and body → images, seeds or the contract's errors.

A1111 validates bodies with FastAPI (422 ``{"detail": [{"loc", "msg", "type"}]}``), answers
404 ``{"detail": ...}`` for an unknown sampler or a missing init image and 500 with the
exception's name for crashes (``OutOfMemoryError`` among them). No network, no database.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from PIL import Image

from canvas.engines.base import TransientEngineError
from canvas.engines.providers import http, imaging, resilience
from canvas.protocol.limits import SEED_LIMIT

OUT_OF_MEMORY_RETRY_SECONDS = 30.0


def body_of(response: httpx.Response) -> dict[str, Any]:
    """The answer of a 200, or the error it stands for."""
    status = response.status_code
    body = http.json_body(response)
    if status == 200:
        if body is None:
            raise resilience.transient(
                "A1111 sent an answer that could not be read. The job will be retried.",
                code="provider_bad_response",
                http_status=status,
            )
        return body
    if status == 422:
        raise resilience.permanent(
            f"A1111 refused the job settings: {validation_details(body)}. Change them and "
            "try again.",
            code="provider_rejected",
            http_status=status,
        )
    if status in (401, 403):
        raise resilience.permanent(
            "A1111 refused the credentials. Ask an administrator to check ANCHORBOARD_A1111_AUTH.",
            code="provider_auth",
            http_status=status,
        )
    detail = ""
    if body is not None:
        detail = str(body.get("detail") or body.get("errors") or body.get("error") or "")
    if status >= 500:
        if "OutOfMemory" in json.dumps(body) or "out of memory" in detail.lower():
            error = resilience.out_of_memory("A1111", OUT_OF_MEMORY_RETRY_SECONDS)
            error.http_status = status  # type: ignore[attr-defined]
            raise error
        raise resilience.transient(
            f"A1111 had a server error ({status}{': ' + detail[:200] if detail else ''}). "
            "The job will be retried.",
            code="provider_unavailable",
            http_status=status,
        )
    if status == 429:
        raise resilience.transient(
            "A1111 is busy; the job will be retried.", code="provider_busy", http_status=status
        )
    raise resilience.permanent(
        f"A1111 refused the job ({status}): {detail[:300] or 'no reason given'}.",
        code="provider_rejected",
        http_status=status,
    )


def validation_details(body: Any) -> str:
    """FastAPI's 422 ``detail`` list as "steps: value is not a valid int; …"."""
    details = body.get("detail") if isinstance(body, dict) else None
    if isinstance(details, list):
        parts = []
        for item in details[:3]:
            if isinstance(item, dict):
                loc = ".".join(str(p) for p in item.get("loc", []) if p != "body")
                parts.append(
                    f"{loc}: {item.get('msg', 'invalid')}" if loc else str(item.get("msg"))
                )
        if parts:
            return "; ".join(parts)
    return str(details or "invalid request")


def busy_with(state: dict[str, Any] | None) -> str | None:
    """The running job's timestamp when ``/progress`` says the server is busy, else None."""
    if not state or not isinstance(state.get("state"), dict):
        return None
    info = state["state"]
    if not info.get("job_count"):
        return None
    return str(info.get("job_timestamp") or "busy")


def decoded(data: Any) -> Image.Image:
    """One base64 image of an answer (plain or a ``data:`` URL)."""
    try:
        return imaging.b64_image(data)
    except imaging.UnreadableImage:
        what = "no image" if not data else "an image that could not be read"
        raise TransientEngineError(
            f"A1111 sent {what} in its answer. The job will be retried.",
            code="provider_bad_response",
        ) from None


def images_of(answer: dict[str, Any], count: int) -> list[Image.Image]:
    """The batch's ``count`` images; a grid image A1111 puts before them is dropped."""
    images = answer.get("images")
    items = [i for i in images if isinstance(i, str)] if isinstance(images, list) else []
    return [decoded(item) for item in items[-count:]]


def seeds_of(answer: dict[str, Any], seed: int, count: int) -> list[int | None]:
    """The seeds A1111 reports in ``info.all_seeds``, else ``seed + i``."""
    try:
        info = json.loads(answer.get("info") or "{}")
        seeds = [int(s) for s in info.get("all_seeds", [])][-count:]
    except (ValueError, TypeError, AttributeError):
        seeds = []
    if len(seeds) != count:
        seeds = [(seed + i) % SEED_LIMIT for i in range(count)]
    return list(seeds)
