"""``/metrics`` (anchorboard/prometheus.py): who may read it, and that the numbers Prometheus
parses are the queue's, the jobs' and the providers' as they are in the database after real
jobs ran through the fake Gemini; the example Grafana dashboard queries only what we export."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from anchorboard import prometheus
from canvas.boardsocket import fanout
from canvas.engines.providers import resilience
from canvas.jobs import queue, runner
from canvas.models import JobState
from tests.providers.fakes.base import Behaviour

PRO = "gemini-3-pro-image-preview"
TOKEN = "s3cret-scrape-token-for-tests"
DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana-dashboard.json"


@pytest.fixture
def token(monkeypatch):
    monkeypatch.setenv("ANCHORBOARD_METRICS_TOKEN", TOKEN)
    return TOKEN


def scrape(client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """GET /metrics with the token, parsed by Prometheus' own text parser: (name, labels)
    → value."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def run_next(worker: str = "w1") -> str:
    claim = queue.claim_next(worker)
    assert claim is not None, "nothing was claimable"
    return runner.execute(claim.job_id, worker)


@pytest.mark.django_db
def test_jobs_queue_and_provider_calls_after_real_jobs(gemini_server, submit, token, client):
    submit(PRO)
    assert run_next() == JobState.SUCCEEDED
    gemini_server.script(Behaviour("safety", reason="IMAGE_SAFETY"))
    submit(PRO)
    assert run_next() == JobState.FAILED
    waiting = submit(PRO)  # stays queued

    samples = scrape(client)

    finished = "anchorboard_jobs_finished_last_hour"
    common = {"engine": PRO, "provider": "gemini"}
    assert value(samples, finished, **common, state="succeeded", error_class="") == 1
    assert value(samples, finished, **common, state="failed", error_class="provider_blocked") == 1
    assert value(samples, "anchorboard_jobs_queued", **common) == 1
    assert value(samples, "anchorboard_jobs_running", **common) == 0
    oldest = value(samples, "anchorboard_queue_oldest_wait_seconds")
    assert oldest > 0
    waiting.refresh_from_db()
    assert waiting.state == JobState.QUEUED
    calls = "anchorboard_provider_calls_last_hour"
    assert value(samples, calls, provider="gemini", outcome="success", error_class="") == 1
    assert (
        value(
            samples, calls, provider="gemini", outcome="permanent", error_class="provider_blocked"
        )
        == 1
    )
    assert value(samples, "anchorboard_provider_breaker_state", provider="gemini", state="closed")
    assert value(samples, "anchorboard_websocket_connections", kind="board") == 0


@pytest.mark.django_db
def test_finished_jobs_leave_the_queue_depth_at_zero(gemini_server, submit, token, client):
    submit(PRO)
    run_next()
    samples = scrape(client)
    assert value(samples, "anchorboard_jobs_queued", engine=PRO, provider="gemini") == 0
    assert value(samples, "anchorboard_queue_oldest_wait_seconds") == 0


@pytest.mark.django_db
def test_breaker_state_after_forcing_it_open(gemini_server, token, client):
    for _ in range(3):  # the threshold (providers_fast): the circuit opens
        resilience.record_failure("gemini", "Gemini had a temporary problem (HTTP 503)")
    samples = scrape(client)
    breaker = "anchorboard_provider_breaker_state"
    assert value(samples, breaker, provider="gemini", state="open") == 1
    assert value(samples, breaker, provider="gemini", state="closed") == 0
    assert value(samples, breaker, provider="gemini", state="half_open") == 0
    assert value(samples, "anchorboard_provider_consecutive_failures", provider="gemini") == 3


@pytest.mark.django_db
async def test_websocket_gauge_counts_this_processs_board_sockets():
    """A socket in a board room of this process's fan-out is counted; leaving uncounts it."""
    hub = fanout.hub(lambda event: "{}")
    assert hub is not None

    class Socket:
        async def board_event(self, event, delivery) -> None: ...

        async def missed_events(self) -> None: ...

    socket = Socket()
    await hub.join("board.test-metrics", socket)
    try:
        assert fanout.socket_counts()["board"] == 1
    finally:
        await hub.leave("board.test-metrics", socket)
        hub.close()
    assert fanout.socket_counts()["board"] == 0


# --- Who may read it -----------------------------------------------------------------------


@pytest.mark.django_db
def test_without_token_or_network_the_endpoint_does_not_exist(client):
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer guess"}).status_code == 404


@pytest.mark.django_db
def test_with_a_token_a_missing_or_wrong_one_is_refused(token, client):
    missing = client.get("/metrics")
    assert missing.status_code == 401 and missing["WWW-Authenticate"].startswith("Bearer")
    wrong = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}x"})
    assert wrong.status_code == 401
    basic = client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"})
    assert basic.status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


@pytest.mark.django_db
def test_the_token_is_compared_in_constant_time(token, client, monkeypatch):
    compared = []
    real = prometheus.hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(prometheus.hmac, "compare_digest", spy)
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert compared == [(b"nope", TOKEN.encode())]


@pytest.mark.django_db
def test_an_allowed_network_reads_without_the_token(client, settings, token):
    settings.ANCHORBOARD_METRICS_NETWORKS = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.7").status_code == 401
    settings.ANCHORBOARD_METRICS_NETWORKS = ["127.0.0.1"]
    assert client.get("/metrics").status_code == 200  # the test client's REMOTE_ADDR


@pytest.mark.django_db
def test_a_forwarded_address_counts_only_from_a_trusted_proxy(client, settings):
    settings.ANCHORBOARD_METRICS_NETWORKS = ["10.0.0.0/8"]
    spoofed = client.get("/metrics", REMOTE_ADDR="192.0.2.7", HTTP_X_FORWARDED_FOR="10.1.2.3")
    assert spoofed.status_code == 404
    settings.ANCHORBOARD_TRUSTED_PROXIES = ["192.0.2.7"]
    proxied = client.get("/metrics", REMOTE_ADDR="192.0.2.7", HTTP_X_FORWARDED_FOR="10.1.2.3")
    assert proxied.status_code == 200


# --- The example dashboard -----------------------------------------------------------------


@pytest.mark.django_db
def test_every_metric_we_export_is_named_and_parsed(token, client):
    names = {prometheus.family_of(name) for name, _ in scrape(client)}
    assert names <= set(prometheus.NAMES)
    # Families without samples (no provider, no limit) still print their HELP and TYPE.
    body = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).content.decode()
    assert {f.name for f in text_string_to_metric_families(body)} == set(prometheus.NAMES)


def test_the_grafana_dashboard_queries_only_exported_metrics():
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    assert exprs
    queried = {
        prometheus.family_of(name)
        for expr in exprs
        for name in re.findall(r"\banchorboard_[a-z_]+", expr)
    }
    assert queried and queried <= set(prometheus.NAMES)
    # The panels: throughput, failures by class, queue, oldest wait, breaker, sockets.
    for needed in (
        "anchorboard_jobs_finished_last_hour",
        "anchorboard_jobs_queued",
        "anchorboard_queue_oldest_wait_seconds",
        "anchorboard_provider_breaker_state",
        "anchorboard_websocket_connections",
        # Issue 17's rates: cost, approval and drift, queue wait to the first claim.
        "anchorboard_provider_cost",
        "anchorboard_review_approvals",
        "anchorboard_review_decisions",
        "anchorboard_results_drifted",
        "anchorboard_results_scored",
        "anchorboard_queue_wait_seconds",
    ):
        assert needed in queried


@pytest.mark.django_db
def test_a_job_cancelled_before_it_started_counts_as_ended(gemini_server, submit, token, client):
    """It has no start: the window is read by finished_at, not started_at."""
    job = queue.cancel_job(submit(PRO))
    assert job.state == JobState.CANCELLED and job.started_at is None
    samples = scrape(client)
    finished = {
        labels: n
        for (name, labels), n in samples.items()
        if name == "anchorboard_jobs_finished_last_hour"
    }
    assert [dict(labels)["state"] for labels, n in finished.items() if n] == ["cancelled"]
    assert value(samples, "anchorboard_jobs_queued", engine=PRO, provider="gemini") == 0
