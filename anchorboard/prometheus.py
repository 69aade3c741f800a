"""``/metrics``: the numbers an operator's Prometheus scrapes (docs/deploy.md, "Prometheus").

Everything is read at scrape time by one custom collector, from the database where the
truth is shared by every process: under Celery or with several web servers a counter kept
in one process would be only that process's share. So job and provider totals are gauges
over a recent window ("jobs that ended in the last hour"), counted on indexed columns
(jobs by state; jobs by ``finished_at``; provider calls by ``created_at``), never a scan
of the whole job history; breakers are the operations dashboard's read (canvas.ops). The
one per-process number is the websocket count: each web process reports its own sockets,
so scrape every web process. Totals that Prometheus should ``rate()`` — cost per provider
and currency, review decisions and approvals, results scored and drifted, and the queue
wait to the first claim as a histogram — are counters read from the daily roll-ups
(canvas.ops.counters): the same numbers the operations dashboard shows, at most a minute
behind (docs/deploy.md has the PromQL for the rates).

Access: ``ANCHORBOARD_METRICS_TOKEN`` as ``Authorization: Bearer …`` (compared in constant
time), or a client address in ``ANCHORBOARD_METRICS_NETWORKS``. Without either, 404: the
endpoint does not exist for the world. This module only reads; it changes nothing.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.db.models import Avg, Count, Min
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector, CollectorRegistry

from canvas.boardsocket import fanout
from canvas.engines.registry import available_engines, get_engine
from canvas.jobs import config as job_config
from canvas.jobs.slots import provider_of
from canvas.models.jobs import Job, JobState
from canvas.models.providers import BreakerState, ProviderCall
from canvas.ops import counters as ops_counters
from canvas.ops import dashboard as ops_dashboard
from canvas.ops import histogram
from foundation import config, knobs
from foundation.client_address import client_address, parse_networks

WINDOW = timedelta(hours=1)
PREFIX = "anchorboard"
# Every metric family this endpoint exports (the Grafana example may query only these).
NAMES = (
    f"{PREFIX}_jobs_queued",
    f"{PREFIX}_jobs_running",
    f"{PREFIX}_queue_oldest_wait_seconds",
    f"{PREFIX}_engine_concurrency_limit",
    f"{PREFIX}_jobs_finished_last_hour",
    f"{PREFIX}_provider_calls_last_hour",
    f"{PREFIX}_provider_call_latency_seconds_last_hour",
    f"{PREFIX}_provider_breaker_state",
    f"{PREFIX}_provider_consecutive_failures",
    f"{PREFIX}_websocket_connections",
    f"{PREFIX}_provider_cost",
    f"{PREFIX}_review_decisions",
    f"{PREFIX}_review_approvals",
    f"{PREFIX}_results_scored",
    f"{PREFIX}_results_drifted",
    f"{PREFIX}_queue_wait_seconds",
)
# What the text format appends to a family's name for its samples (counters, histograms).
SAMPLE_SUFFIXES = ("_total", "_created", "_bucket", "_count", "_sum")


def family_of(sample: str) -> str:
    """The metric family a sample (or a PromQL name) belongs to:
    ``anchorboard_provider_cost_total`` → ``anchorboard_provider_cost``."""
    if sample in NAMES:
        return sample
    for suffix in SAMPLE_SUFFIXES:
        if sample.endswith(suffix) and sample[: -len(suffix)] in NAMES:
            return sample[: -len(suffix)]
    return sample


def _gauge(name: str, doc: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{name}", doc, labels=labels)


class StateCollector(Collector):
    """The live state, read when Prometheus asks (never cached between scrapes)."""

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        engines = available_engines()
        yield from self._queue(now, engines)
        yield from self._finished(now)
        yield from self._providers(now, engines)
        yield from self._rolled_up()
        sockets = _gauge(
            "websocket_connections", "Open websockets of THIS web process, by kind", ["kind"]
        )
        for kind, count in sorted(fanout.socket_counts().items()):
            sockets.add_metric([kind], count)
        yield sockets

    def _queue(self, now: Any, engines: dict[str, Any]) -> Iterator[Metric]:
        # Queued and running rows only (the job_queue_order index leads with state).
        rows = (
            Job.objects.filter(state__in=(JobState.QUEUED, JobState.RUNNING))
            .order_by()
            .values("state", "engine")
            .annotate(n=Count("id"))
        )
        queued = _gauge("jobs_queued", "Jobs waiting to run", ["engine", "provider"])
        running = _gauge("jobs_running", "Jobs running now", ["engine", "provider"])
        counts = {(row["state"], row["engine"]): row["n"] for row in rows}
        for engine in sorted({engine for _, engine in counts} | set(engines)):
            labels = [engine, provider_of(engine)]
            queued.add_metric(labels, counts.get((JobState.QUEUED, engine), 0))
            running.add_metric(labels, counts.get((JobState.RUNNING, engine), 0))
        yield queued
        yield running
        oldest = Job.objects.filter(state=JobState.QUEUED).aggregate(t=Min("queued_at"))["t"]
        yield GaugeMetricFamily(
            f"{PREFIX}_queue_oldest_wait_seconds",
            "Seconds since the oldest queued job was submitted (0: nothing queued)",
            value=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
        )
        limits = _gauge(
            "engine_concurrency_limit",
            "Jobs an engine may run at once across all workers (absent: no limit)",
            ["engine"],
        )
        for engine, caps in engines.items():
            limit = job_config.engine_concurrency(engine, getattr(caps, "max_concurrency", None))
            if limit is not None:
                limits.add_metric([engine], limit)
        yield limits

    def _finished(self, now: Any) -> Iterator[Metric]:
        # The job_finished index (the operations roll-ups' own) bounds the rows read.
        rows = (
            Job.objects.filter(finished_at__gte=now - WINDOW)
            .order_by()
            .values("engine", "state", "error_code")
            .annotate(n=Count("id"))
        )
        finished = _gauge(
            "jobs_finished_last_hour",
            "Jobs that ended in the last hour, by engine, final state and error class",
            ["engine", "provider", "state", "error_class"],
        )
        for row in rows:
            engine = row["engine"]
            labels = [engine, provider_of(engine), row["state"], row["error_code"] or ""]
            finished.add_metric(labels, row["n"])
        yield finished

    def _providers(self, now: Any, engines: dict[str, Any]) -> Iterator[Metric]:
        calls = _gauge(
            "provider_calls_last_hour",
            "Provider calls that ended in the last hour, by outcome and error class",
            ["provider", "outcome", "error_class"],
        )
        latency = _gauge(
            "provider_call_latency_seconds_last_hour",
            "Mean provider call latency over the last hour",
            ["provider"],
        )
        recent = ProviderCall.objects.filter(created_at__gte=now - WINDOW).order_by()
        for row in recent.values("provider", "outcome", "error_code").annotate(n=Count("id")):
            calls.add_metric([row["provider"], row["outcome"], row["error_code"]], row["n"])
        for mean in recent.values("provider").annotate(ms=Avg("latency_ms")):
            latency.add_metric([mean["provider"]], (mean["ms"] or 0) / 1000)
        yield calls
        yield latency
        breaker = _gauge(
            "provider_breaker_state",
            "Circuit breaker per provider: 1 on the current state (closed, open, half_open)",
            ["provider", "state"],
        )
        failures = _gauge(
            "provider_consecutive_failures",
            "Transient failures in a row (the breaker opens at its threshold)",
            ["provider"],
        )
        health = {h["provider"]: h for h in ops_dashboard.breakers()}
        # Every provider with a breaker row, and every remote engine's (closed until used).
        providers = set(health) | {
            provider for name in engines if (provider := getattr(get_engine(name), "provider", ""))
        }
        for provider in sorted(providers):
            circuit = health.get(provider)
            current = circuit["state"] if circuit else BreakerState.CLOSED
            for state in BreakerState.values:
                breaker.add_metric([provider, state], 1 if state == current else 0)
            failures.add_metric([provider], circuit["consecutive_failures"] if circuit else 0)
        yield breaker
        yield failures

    def _rolled_up(self) -> Iterator[Metric]:
        """All-time totals from the daily roll-ups, as counters and a histogram."""
        totals = sorted(ops_counters.by_provider().items())
        cost = CounterMetricFamily(
            f"{PREFIX}_provider_cost",
            "Cost of provider calls from the operator's price table, by provider and currency",
            labels=["provider", "currency"],
        )
        counted = {
            "decisions": ("review_decisions", "Review decisions made (a status set)"),
            "approvals": ("review_approvals", "Review decisions that approved a result"),
            "scored": ("results_scored", "Results scored for consistency (once per hour)"),
            "drifted": ("results_drifted", "Scored results with a drift flag"),
        }
        families = {
            key: CounterMetricFamily(f"{PREFIX}_{name}", doc, labels=["provider"])
            for key, (name, doc) in counted.items()
        }
        wait = HistogramMetricFamily(
            f"{PREFIX}_queue_wait_seconds",
            "Queue wait from submit to a worker's first claim, of jobs that ended",
            labels=["provider"],
        )
        for provider, total in totals:
            for currency, amount in sorted(total.cost.items()):
                cost.add_metric([provider, currency], float(amount))
            for key, family in families.items():
                family.add_metric([provider], total.counts[key])
            cumulative, buckets = 0, []
            for edge, count in zip(histogram.EDGES, total.wait, strict=False):
                cumulative += count
                buckets.append((str(float(edge)), cumulative))
            buckets.append(("+Inf", sum(total.wait)))
            wait.add_metric([provider], buckets, total.counts["first_wait_ms"] / 1000)
        yield cost
        yield from families.values()
        yield wait


def exposition() -> bytes:
    """The current state in Prometheus' text format (a fresh registry per scrape: no
    process-wide state, nothing else registered beside it)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StateCollector())
    return generate_latest(registry)


def _bearer(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def token_matches(given: str, expected: str) -> bool:
    """Constant time, so the response time tells nothing about how much of a guess was
    right."""
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def _from_allowed_network(request: HttpRequest) -> bool:
    networks = parse_networks(config.read(knobs.METRICS_NETWORKS))
    try:
        address = ipaddress.ip_address(client_address(request))
    except ValueError:  # "unknown"
        return False
    return any(address in network for network in networks)


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    token = config.read(knobs.METRICS_TOKEN)
    allowed = _from_allowed_network(request) or token_matches(_bearer(request), token)
    if not allowed:
        if not token:  # nothing configured: the endpoint does not exist for this caller
            return HttpResponse("Not found\n", status=404, content_type="text/plain")
        response = HttpResponse("Unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    response = HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
