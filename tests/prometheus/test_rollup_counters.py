"""``/metrics`` counters from the roll-ups (canvas/ops/counters.py): cost per provider and
currency, review decisions and approvals, results scored and drifted, and the queue wait
to the first claim as a histogram — each equal to a direct query over the seeded rows
(tests/ops/test_dashboard_api.py's hour of work), parsed by Prometheus' own text parser."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from prometheus_client.parser import text_string_to_metric_families

from anchorboard import prometheus
from canvas.governance.models import ConsistencyScore
from canvas.jobs.slots import provider_of
from canvas.models import DecisionEvent, Job, ProviderCall
from canvas.ops import histogram
from tests.ops.conftest import studio  # noqa: F401  (a fixture)
from tests.ops.test_dashboard_api import seeded  # noqa: F401  (a fixture)

TOKEN = "s3cret-scrape-token-for-tests"


def families(client) -> dict[str, list]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.content
    return {f.name: f for f in text_string_to_metric_families(response.content.decode())}


@pytest.mark.django_db
def test_rolled_up_counters_equal_a_direct_query(seeded, client, monkeypatch):  # noqa: F811
    monkeypatch.setenv("ANCHORBOARD_METRICS_TOKEN", TOKEN)
    got = families(client)

    # Cost: every priced call, by the provider called and the currency.
    cost = defaultdict(Decimal)
    for call in ProviderCall.objects.exclude(cost=None):
        cost[(call.provider, call.currency)] += call.cost
    family = got["anchorboard_provider_cost"]
    assert family.type == "counter"
    shown = {
        (s.labels["provider"], s.labels["currency"]): s.value
        for s in family.samples
        if s.name == "anchorboard_provider_cost_total"
    }
    assert shown == {key: pytest.approx(float(v)) for key, v in cost.items()}
    assert shown[("gemini", "EUR")] == pytest.approx(0.39)

    # Decisions (a status set; a star is none) and approvals, by the result's provider.
    decisions, approvals = Counter(), Counter()
    for event in DecisionEvent.objects.select_related("iteration__job"):
        if "status" in event.changes:
            provider = provider_of(event.iteration.job.engine)
            decisions[provider] += 1
            approvals[provider] += event.status == "approved"
    # Results scored (once per result and hour here: all scores share their hour) and drifted.
    scored, drifted = Counter(), Counter()
    flagged: dict = {}
    for score in ConsistencyScore.objects.select_related("iteration__job"):
        key = (provider_of(score.iteration.job.engine), score.iteration_id)
        flagged[key] = flagged.get(key, False) or score.flag is not None
    for (provider, _), flag in flagged.items():
        scored[provider] += 1
        drifted[provider] += flag

    def totals(name: str) -> Counter:
        return Counter(
            {
                s.labels["provider"]: int(s.value)
                for s in got[name].samples
                if s.name == f"{name}_total" and s.value
            }
        )

    assert totals("anchorboard_review_decisions") == decisions == Counter(gemini=3, openai=1)
    assert totals("anchorboard_review_approvals") == +approvals
    assert totals("anchorboard_results_scored") == scored
    assert totals("anchorboard_results_drifted") == +drifted

    # Queue wait to the first claim: cumulative buckets, sum and count per provider.
    waits: dict[str, list[float]] = defaultdict(list)
    for job in Job.objects.exclude(first_claimed_at=None).exclude(finished_at=None):
        seconds = (job.first_claimed_at - job.queued_at).total_seconds()
        waits[provider_of(job.engine)].append(seconds)
    family = got["anchorboard_queue_wait_seconds"]
    assert family.type == "histogram"
    for provider, values in waits.items():
        samples = {
            (s.name, s.labels.get("le")): s.value
            for s in family.samples
            if s.labels["provider"] == provider
        }
        assert samples[("anchorboard_queue_wait_seconds_count", None)] == len(values)
        assert samples[("anchorboard_queue_wait_seconds_sum", None)] == pytest.approx(
            sum(values), abs=0.01
        )
        for edge in histogram.EDGES:
            below = sum(1 for v in values if v <= edge)
            assert samples[("anchorboard_queue_wait_seconds_bucket", str(float(edge)))] == below
        assert samples[("anchorboard_queue_wait_seconds_bucket", "+Inf")] == len(values)
    # Gemini: the board's four claimed jobs (5, 2, 2 s; the cancelled one never claimed)
    # plus Elsewhere's failed one (1 s).
    assert sorted(waits["gemini"]) == [1, 2, 2, 5]
    assert all(prometheus.family_of(s) in prometheus.NAMES for s in got)
