"""Failure handling shared by every remote provider: classify, break the circuit, record.

- **Classify**: every failure becomes a ``TransientEngineError`` (timeouts, lost
  connections, 429 rate limits, 5xx: the job queue retries with backoff, honouring
  ``retry_after``) or a ``PermanentEngineError`` (400, safety blocks, invalid input, bad
  keys, exhausted quota: never retried), always with a message a designer can act on.
- **Break the circuit**: one ``ProviderHealth`` row per provider, shared by all processes.
  N consecutive transient failures open it; after a cool-down exactly one job may probe
  (an atomic conditional UPDATE decides who); success closes it, failure re-opens it.
  While it is open, ``route_engine`` defers jobs (no attempt spent) or, when the board
  opted in, runs them on the next engine of a fallback chain.
- **Record**: every call becomes a ``ProviderCall`` row (start, latency, outcome, images,
  cost by the operator's price table, whether it ran on a fallback engine); a record that
  cannot be written is logged, never fails the call.

Provider clients call ``recorded_call``; the job runner calls ``route_engine``. Nothing
else changes breaker state. This module never builds provider requests.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from django.db import IntegrityError, transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone
from PIL import Image

from canvas.engines.base import (
    Engine,
    EngineRequest,
    JobCancelled,
    PermanentEngineError,
    TransientEngineError,
)
from canvas.engines.prices import price_for
from canvas.engines.providers import config
from canvas.engines.registry import available_engines, get_engine
from canvas.models.jobs import Job
from canvas.models.providers import (
    BoardEngineFallbacks,
    BreakerState,
    CallOutcome,
    ProviderCall,
    ProviderHealth,
)
from foundation.errors import AppError

logger = logging.getLogger(__name__)


# --- Classification -------------------------------------------------------------------------


def transient(
    message: str, *, code: str, http_status: int | None = None, retry_after: float | None = None
) -> TransientEngineError:
    error = TransientEngineError(message, code=code, retry_after=retry_after)
    error.http_status = http_status  # type: ignore[attr-defined]
    return error


# The promise a transient message makes ("The job will be retried", maybe "automatically",
# maybe with advice for when it keeps happening), in every wording the providers use.
_RETRY = r"[Tt]he job will be retried(?: automatically)?"
_PROMISE_WITH_ADVICE = re.compile(
    rf"[.;,]?\s*{_RETRY}; if it keeps (?:happening|failing), ([^.]*)\."
)
_PROMISE_SENTENCE = re.compile(
    r"(?<=[.!?)])\s+The job will be retried(?: automatically)?\."
)  # "… (HTTP 503). The job will be retried."
_PROMISE_CLAUSE = re.compile(rf"\s*[;,]\s*{_RETRY}\.")  # "A1111 is busy; the job will be …"


def gave_up(message: str, attempts: int) -> str:
    """The final message of a job whose last attempt failed transiently: the provider's
    message without its promise of a retry (it was written before the queue decided there
    would be none) and how many attempts were made. Advice meant for "if it keeps
    happening" stays, as advice: it kept happening."""
    text = _PROMISE_WITH_ADVICE.sub(
        lambda m: f". {m.group(1)[:1].upper()}{m.group(1)[1:]}.", message
    )
    text = _PROMISE_SENTENCE.sub("", _PROMISE_CLAUSE.sub(".", text))
    noun = "attempt" if attempts == 1 else "attempts"
    return f"{text.rstrip()} Gave up after {attempts} {noun}."


def permanent(message: str, *, code: str, http_status: int | None = None) -> PermanentEngineError:
    error = PermanentEngineError(message, code=code)
    error.http_status = http_status  # type: ignore[attr-defined]
    return error


def network_failure(
    exc: httpx.HTTPError,
    where: str,
    *,
    waited: float | None = None,
    hint: str = "",
    dropped_code: str = "provider_unreachable",
) -> TransientEngineError:
    """A call that got no usable HTTP answer: always worth another try later.

    ``where`` names the service for the designer ("Nano Banana Pro", "ComfyUI at
    http://gpu-box:8188"); ``waited`` is the read timeout, when there is one; ``hint`` says
    what to check when the server cannot be reached at all; ``dropped_code`` is the code
    of a connection lost mid-answer (A1111 tells it apart from "cannot be reached").
    """
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return transient(
            f"{where} cannot be reached ({type(exc).__name__}){hint}. The job will be retried.",
            code="provider_unreachable",
        )
    if isinstance(exc, httpx.TimeoutException):
        within = f"within {waited:g} seconds" if waited is not None else "in time"
        return transient(
            f"{where} did not answer {within}. The job will be retried; if it keeps "
            "happening, try a smaller region or another engine.",
            code="provider_timeout",
        )
    return transient(
        f"The connection to {where} was lost before it answered ({type(exc).__name__}). "
        "The job will be retried.",
        code=dropped_code,
    )


def out_of_memory(server: str, retry_after: float, where: str = "") -> TransientEngineError:
    """A GPU server out of memory: transient, since memory frees up as other work ends,
    and the queue's attempt limit stops a job that can never fit. ``where``: " in node 3
    (KSampler)"."""
    return transient(
        f"The {server} server ran out of GPU memory{where}. The job will be retried; if it "
        "keeps failing, select a smaller region or a smaller output size.",
        code="provider_out_of_memory",
        retry_after=retry_after,
    )


def status_failure(
    status: int,
    label: str,
    *,
    detail: str = "",
    retry_after: float | None = None,
    provider_code: str = "",
) -> EngineError:
    """The default reading of an HTTP error status; clients handle their special codes first."""
    said = f" ({detail})" if detail else ""
    if status == 429:
        return transient(
            f"{label} is busy (too many requests right now). The job will be retried "
            "automatically.",
            code="provider_rate_limited",
            http_status=status,
            retry_after=retry_after,
        )
    if status in (408,) or status >= 500:
        return transient(
            f"{label} had a temporary problem (HTTP {status}){said}. The job will be retried.",
            code="provider_unavailable",
            http_status=status,
            retry_after=retry_after,
        )
    if status in (401, 403):
        return permanent(
            f"{label} refused this server's API key (HTTP {status}). Ask your administrator "
            "to check the key and that the account may use this model.",
            code="provider_auth",
            http_status=status,
        )
    if status == 404:
        return permanent(
            f"{label} does not know the configured model (HTTP 404). Ask your administrator "
            "to check the model name in the provider settings.",
            code="provider_model_not_found",
            http_status=status,
        )
    return permanent(
        f"{label} rejected the request{said}. Change the settings or the region and try again.",
        code=provider_code or "provider_rejected",
        http_status=status,
    )


EngineError = TransientEngineError | PermanentEngineError


def malformed(label: str, what: str) -> TransientEngineError:
    """A 200 whose body we cannot read: usually a proxy or a truncated answer."""
    return transient(
        f"{label} sent an answer that could not be read ({what}). The job will be retried.",
        code="provider_bad_response",
    )


# --- Call records ---------------------------------------------------------------------------


@dataclass
class CallResult:
    """What one successful provider call produced.

    ``metadata`` goes on every result of the call; ``timings`` are the call's phases in
    milliseconds (default: the whole call as ``provider``); ``seeds`` are the seeds the
    provider reports it used, one per image (default: the run's seed + result index).
    """

    images: list[Image.Image]
    http_status: int = 200
    cost_usd: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    seeds: list[int | None] | None = None
    clips: list[Any] = field(default_factory=list)
    seconds: float = 0.0


def _job_attempt(job_id: Any) -> tuple[Any, int, str]:
    """The job's id (None if gone), its attempt number and its own engine: one read."""
    if job_id is None:
        return None, 1, ""
    row = Job.objects.filter(pk=job_id).values_list("attempts", "engine").first()
    if row is None:
        return None, 1, ""
    return job_id, max(1, row[0]), row[1]


def _delivered(result: CallResult | None) -> tuple[int, float, float]:
    """How many images a call delivered, their megapixels and the seconds of its clips
    (the price table's units)."""
    if result is None:
        return 0, 0.0, 0.0
    megapixels = sum(i.width * i.height for i in result.images) / 1e6
    return len(result.images), megapixels, result.seconds


def _record(engine: Any, fields: dict[str, Any], result: CallResult | None) -> None:
    """Store one ProviderCall, priced by the operator's table. A failed record is logged and
    forgotten: the call's own outcome matters more than its bookkeeping."""
    try:
        images, megapixels, seconds = _delivered(result)
        price = price_for(engine.name)
        with transaction.atomic():  # a savepoint: a failed insert leaves the caller's work
            ProviderCall.objects.create(
                provider=engine.provider,
                model=engine.model,
                engine=engine.name,
                images=images,
                megapixels=megapixels,
                cost=price.cost(images, megapixels, seconds) if price and images else None,
                currency=price.currency if price and images else "",
                **fields,
            )
    except Exception:
        logger.exception("provider call of %s not recorded", getattr(engine, "name", engine))


def recorded_call(
    engine: Any,
    progress: Any,
    call: Callable[[], CallResult],
) -> CallResult:
    """Run one provider call; record it as a ProviderCall and feed the breaker.

    ``call`` runs the request synchronously (through ``http.run_sync``) and raises
    Transient/PermanentEngineError. The job comes from ``progress.job_id`` when the job
    runner is the caller.
    """
    job_id, attempt, own_engine = _job_attempt(getattr(progress, "job_id", None))
    started, started_at = time.monotonic(), timezone.now()
    outcome, status, code, cost, message = CallOutcome.SUCCESS, None, "", None, ""
    result: CallResult | None = None
    try:
        result = call()
        status, cost = result.http_status, result.cost_usd
        return result
    except TransientEngineError as exc:
        outcome, code, message = CallOutcome.TRANSIENT, exc.code, exc.message
        status = getattr(exc, "http_status", None)
        raise
    except PermanentEngineError as exc:
        outcome, code, message = CallOutcome.PERMANENT, exc.code, exc.message
        status = getattr(exc, "http_status", None)
        raise
    except JobCancelled:
        outcome, code = CallOutcome.CANCELLED, "cancelled"
        raise
    except Exception as exc:  # a bug in a client: permanent for the job, logged with trace
        outcome, code, message = CallOutcome.PERMANENT, "internal_error", type(exc).__name__
        raise
    finally:
        latency = int((time.monotonic() - started) * 1000)
        _record(
            engine,
            {
                "job_id": job_id,
                "attempt": attempt,
                "outcome": outcome,
                "http_status": status,
                "error_code": code[:80],
                "latency_ms": latency,
                "cost_usd": Decimal(f"{cost:.5f}") if cost is not None else None,
                "started_at": started_at,
                "fallback": bool(own_engine) and own_engine != engine.name,
            },
            result if outcome == CallOutcome.SUCCESS else None,
        )
        if outcome == CallOutcome.TRANSIENT:
            record_failure(engine.provider, message)
        elif outcome in (CallOutcome.SUCCESS, CallOutcome.PERMANENT):
            # A refusal still proves the provider is up: it counts as a live answer.
            record_answer(engine.provider, error=message if outcome != "success" else "")


# --- Circuit breaker ------------------------------------------------------------------------

# Sent with ``provider`` when a circuit closes, so work waiting for it can start at once
# (the job queue releases the jobs this circuit deferred: canvas.jobs.deferrals).
circuit_closed = Signal()


def _ensure_health(provider: str) -> None:
    if ProviderHealth.objects.filter(provider=provider).exists():
        return
    try:
        with transaction.atomic():
            ProviderHealth.objects.create(provider=provider)
    except IntegrityError:  # another process created it first
        pass


def record_answer(provider: str, *, error: str = "") -> None:
    """The provider answered: close the circuit and reset the failure count."""
    now = timezone.now()
    changes: dict[str, Any] = {}
    if error:
        changes = {"last_error": error[:500], "last_error_at": now}
    else:
        changes = {"last_success_at": now}
    closed = (
        ProviderHealth.objects.filter(provider=provider)
        .exclude(state=BreakerState.CLOSED, consecutive_failures=0)
        .update(state=BreakerState.CLOSED, consecutive_failures=0, next_probe_at=None, **changes)
    )
    if closed:
        logger.info("provider %s: circuit closed", provider)
        circuit_closed.send_robust(sender=record_answer, provider=provider)
    elif error:
        ProviderHealth.objects.filter(provider=provider).update(**changes)


def record_failure(provider: str, message: str) -> None:
    """A transient failure: count it; open the circuit at the threshold or after a probe."""
    _ensure_health(provider)
    now = timezone.now()
    reopen = now + timedelta(seconds=config.breaker_cooldown_seconds())
    rows = ProviderHealth.objects.filter(provider=provider)
    rows.update(
        consecutive_failures=F("consecutive_failures") + 1,
        last_error=message[:500],
        last_error_at=now,
    )
    opened = rows.filter(state=BreakerState.HALF_OPEN).update(
        state=BreakerState.OPEN, opened_at=now, next_probe_at=reopen
    ) or rows.filter(
        state=BreakerState.CLOSED, consecutive_failures__gte=config.breaker_failures()
    ).update(state=BreakerState.OPEN, opened_at=now, next_probe_at=reopen)
    if opened:
        logger.warning("provider %s: circuit opened until %s: %s", provider, reopen, message)


def admit(provider: str) -> datetime | None:
    """May a job call ``provider`` now? None = yes; otherwise when to ask again.

    Closed: yes. Open or half-open with its time passed: exactly one caller wins the
    conditional UPDATE and becomes the probe (the circuit goes half-open for the probe's
    maximum duration); everyone else waits.
    """
    now = timezone.now()
    row = ProviderHealth.objects.filter(provider=provider).values("state", "next_probe_at").first()
    if row is None or row["state"] == BreakerState.CLOSED:
        return None
    probe_until = now + timedelta(seconds=config.breaker_probe_seconds(provider))
    won = ProviderHealth.objects.filter(
        provider=provider,
        state__in=(BreakerState.OPEN, BreakerState.HALF_OPEN),
        next_probe_at__lte=now,
    ).update(state=BreakerState.HALF_OPEN, next_probe_at=probe_until)
    if won:
        logger.info("provider %s: half-open, this job is the probe", provider)
        return None
    row = ProviderHealth.objects.filter(provider=provider).values("state", "next_probe_at").first()
    if row is None or row["state"] == BreakerState.CLOSED:
        return None
    wait = row["next_probe_at"] or now
    if row["state"] == BreakerState.HALF_OPEN:
        # A probe is running: look again soon rather than at the end of its time limit.
        wait = min(wait, now + timedelta(seconds=max(1.0, config.breaker_cooldown_seconds())))
    return wait


class ProviderDeferred(Exception):
    """The provider's circuit is open and no fallback applies: run the job later.

    Not an EngineError: the job did not run, so it spends no attempt.
    """

    def __init__(self, message: str, until: datetime) -> None:
        super().__init__(message)
        self.message = message
        self.until = until


def fallbacks_for(board_id: Any, engine: str) -> tuple[str, ...]:
    """The engines to try after ``engine`` on this board; () unless the board opted in."""
    opt_in = BoardEngineFallbacks.objects.filter(board_id=board_id, enabled=True).first()
    if opt_in is None:
        return ()
    chain = (opt_in.chains or {}).get(engine)
    if chain is None:
        chain = config.fallback_chains().get(engine, ())
    return tuple(name for name in chain if isinstance(name, str) and name != engine)


class InvalidFallbacks(AppError):
    code = "invalid_fallbacks"
    default_message = "The fallback engines are not valid."


def set_board_fallbacks(board: Any, chains: Any, *, enabled: bool = True) -> Any:
    """Opt ``board`` in (or out) of running on other engines while a provider is down.

    ``chains`` maps an engine to the engines to try next, e.g.
    ``{"gemini-3-pro-image-preview": ["comfyui", "local"]}``; ``{}`` means "use the
    server's chains". The caller has checked that the user may edit the board.
    """
    if not isinstance(chains, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(n, str) for n in v)
        for k, v in chains.items()
    ):
        raise InvalidFallbacks("Fallbacks must map an engine name to a list of engine names.")
    known = set(available_engines())
    for engine, chain in chains.items():
        unknown = [n for n in [engine, *chain] if n not in known]
        if unknown:
            raise InvalidFallbacks(
                f"There is no engine called {unknown[0]!r} on this server; pick one of: "
                f"{', '.join(sorted(known))}."
            )
        if engine in chain:
            raise InvalidFallbacks(f"{engine} cannot be its own fallback.")
    row, _ = BoardEngineFallbacks.objects.update_or_create(
        board=board, defaults={"chains": chains, "enabled": enabled}
    )
    return row


def route_engine(job: Any, request: EngineRequest, engine: Engine) -> Engine:
    """The engine that runs ``job`` now: its own, or a fallback while its provider is down.

    Raises ``UnsupportedRequest`` if the job's own engine refuses the request, and
    ``ProviderDeferred`` if every candidate's circuit is open. A job whose brand kit locks
    its engine (``spec["engine_locked"]``) has no fallback: it waits for its own engine.
    """
    engine.check(request)
    provider = getattr(engine, "provider", "")
    wait = admit(provider) if provider else None
    if wait is None:
        return engine
    waits = [wait]
    label = engine.capabilities().label
    locked = bool((job.spec or {}).get("engine_locked"))
    for name in () if locked else fallbacks_for(job.board_id, job.engine):
        try:
            candidate = get_engine(name)
            candidate.check(request)  # before admit: never take a probe we cannot use
        except Exception as exc:  # an unknown engine or one that refuses: try the next
            logger.info("job %s: fallback %s skipped: %s", job.pk, name, exc)
            continue
        other = getattr(candidate, "provider", "")
        other_wait = admit(other) if other else None
        if other_wait is None:
            logger.info("job %s: %s is unavailable, running on %s", job.pk, engine.name, name)
            return candidate
        waits.append(other_wait)
    until = min(waits)
    raise ProviderDeferred(
        f"{label} is paused after repeated failures; the job waits and will start by "
        f"{timezone.localtime(until):%H:%M:%S} without using up an attempt.",
        until,
    )


# --- Status for the settings page -----------------------------------------------------------


def health_of(provider: str, recent: int = 50) -> dict[str, Any]:
    """Breaker state, last error and the success rate of the last ``recent`` calls."""
    row = ProviderHealth.objects.filter(provider=provider).first()
    outcomes = list(
        ProviderCall.objects.filter(provider=provider)
        .order_by("-created_at", "-id")
        .values_list("outcome", flat=True)[:recent]
    )
    answered = [o for o in outcomes if o != CallOutcome.CANCELLED]
    successes = sum(1 for o in answered if o == CallOutcome.SUCCESS)
    return {
        "state": row.state if row else BreakerState.CLOSED.value,
        "state_label": BreakerState(row.state).label if row else BreakerState.CLOSED.label,
        "consecutive_failures": row.consecutive_failures if row else 0,
        "opened_at": row.opened_at.isoformat() if row and row.opened_at else None,
        "next_probe_at": row.next_probe_at.isoformat() if row and row.next_probe_at else None,
        "last_error": row.last_error if row else "",
        "last_error_at": row.last_error_at.isoformat() if row and row.last_error_at else None,
        "recent_calls": len(answered),
        "recent_success_rate": round(successes / len(answered), 3) if answered else None,
    }
