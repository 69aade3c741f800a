"""GET /api/v1/dashboard: the numbers of a seeded hour (expected values worked out by hand
from the definitions in docs/dashboard.md), the CSV of each series, and who may look."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from canvas.governance.models import ConsistencyScore
from canvas.models import (
    DecisionEvent,
    Iteration,
    Job,
    ProviderCall,
    ProviderHealth,
)
from canvas.ops import rollups
from tests.ops.history import keeping_timestamps

PRO = "gemini-3-pro-image-preview"
OPENAI = "openai-gpt-image-1.5"
URL = "/api/v1/dashboard"
ASSET: list = []  # the stored image every seeded result shows (set by ``seeded``)


def _job(
    board, user, engine, state, queued, wait, run, *, results=0, attempts=1, code="", first=...
):
    """A finished job: submitted at ``queued``, its last attempt started ``wait`` s later and
    ran ``run`` s; first claimed ``first`` s after submit (default: ``wait``; None: never
    claimed, cancelled while queued: no start either)."""
    first = wait if first is ... else first
    job = Job.objects.create(
        board=board, created_by=user, mode="img2img", engine=engine, state=state,
        attempts=attempts, queued_at=queued,
        first_claimed_at=None if first is None else queued + timedelta(seconds=first),
        started_at=None if first is None else queued + timedelta(seconds=wait),
        finished_at=queued + timedelta(seconds=wait + run), error_code=code,
    )  # fmt: skip
    made = [
        Iteration.objects.create(
            board=board,
            job=job,
            index=i,
            asset=ASSET[0],
            created_at=job.finished_at,
            updated_at=job.finished_at,
        )
        for i in range(results)
    ]
    return job, made


def _call(job, provider, attempt, outcome, *, images=0, cost=None, fallback=False):
    ProviderCall.objects.create(
        provider=provider, job=job, attempt=attempt, outcome=outcome, images=images,
        cost=Decimal(cost) if cost else None, currency="EUR" if cost else "",
        fallback=fallback, created_at=job.finished_at, started_at=job.started_at,
    )  # fmt: skip


def _decide(iteration, status, after, changes=None):
    DecisionEvent.objects.create(
        iteration=iteration, board=iteration.board, status=status, tier="generation",
        changes=changes or {"status": ["", status]},
        at=iteration.created_at + timedelta(seconds=after),
    )  # fmt: skip


def _score(iteration, metric, flagged):
    ConsistencyScore.objects.create(
        board=iteration.board, asset=iteration.asset, iteration=iteration, metric=metric,
        fingerprint=iteration.pk.hex, score=0.5, flag={"metric": metric} if flagged else None,
        created_at=iteration.created_at, updated_at=iteration.created_at,
    )  # fmt: skip


@pytest.fixture
def seeded(studio):
    """One hour (three hours ago) of work on Studio's boards, a queue now, a breaker open."""
    ASSET[:] = [studio.asset]
    now = timezone.now()
    hour = rollups.floor_hour(now) - timedelta(hours=3)
    one, two, admin = studio.one, studio.two, studio.admin
    with keeping_timestamps():
        s1, (i1,) = _job(one, admin, PRO, "succeeded", hour, 5, 5, results=1)
        s2, (i2, i3) = _job(
            one, admin, PRO, "succeeded", hour + timedelta(minutes=10), 5, 15, results=2,
            attempts=2, first=2,
        )  # fmt: skip
        _job(one, admin, "local", "succeeded", hour + timedelta(minutes=20), 40, 60, results=1)
        f1, _ = _job(one, admin, PRO, "failed", hour + timedelta(minutes=30), 2, 2,
                     code="provider_blocked")  # fmt: skip
        _job(one, admin, PRO, "cancelled", hour + timedelta(minutes=40), 1, 1, first=None)
        t1, (i4,) = _job(two, studio.member, OPENAI, "succeeded", hour, 1, 4, results=1)
        _job(studio.other, studio.stranger, PRO, "failed", hour, 1, 1, code="provider_auth")
        _call(s1, "gemini", 1, "success", images=1, cost="0.13")
        _call(s2, "gemini", 1, "transient")
        _call(s2, "gemini", 2, "success", images=2, cost="0.26")
        _call(f1, "gemini", 1, "permanent")
        _call(t1, "openai", 1, "success", images=1, cost="0.04", fallback=True)
        _decide(i1, "approved", 60)
        _decide(i2, "approved", 120)
        _decide(i3, "rejected", 180)
        _decide(i3, "rejected", 200, changes={"starred": [False, True]})  # not a decision
        _decide(i4, "rejected", 60)
        _score(i1, "palette", False)
        _score(i1, "lighting", True)
        _score(i2, "palette", False)
        for minutes in (10, 1):
            Job.objects.create(
                board=one, created_by=admin, mode="img2img", engine=PRO,
                queued_at=now - timedelta(minutes=minutes),
            )  # fmt: skip
    ProviderHealth.objects.create(provider="gemini", state="open", consecutive_failures=3)
    rollups.rebuild(hour - timedelta(hours=1), hour + timedelta(hours=2))
    studio.hour, studio.now = hour, now
    return studio


def get(caller, **params):
    client = Client()
    if caller is not None:
        client.force_login(caller)
    return client.get(URL, params)


def _range(seeded):
    start = seeded.hour - timedelta(hours=1)
    return {"from": start.isoformat(), "to": (start + timedelta(hours=3)).isoformat()}


@pytest.mark.django_db
def test_a_boards_numbers_for_a_seeded_hour(seeded):
    response = get(seeded.admin, board=seeded.one.pk, **_range(seeded))
    assert response.status_code == 200, response.content
    data = response.json()
    totals = data["totals"]
    # Four results from three succeeded jobs; one failed of four ended (cancelled aside).
    assert totals["results"] == 4 and totals["results_per_hour"] == round(4 / 3, 3)
    assert (totals["jobs_succeeded"], totals["jobs_failed"], totals["jobs_cancelled"]) == (3, 1, 1)
    assert totals["failure_rate"] == 0.25
    # Deliveries 10 s, 20 s and 100 s: p50 is the 2nd (bucket 15–20 s, read as 20 s); p95
    # the 3rd (bucket 90–120 s, read at its top: the documented error bound).
    assert totals["delivery_p50_seconds"] == 20.0 and totals["delivery_p95_seconds"] == 120.0
    # Queue waits (to the last attempt's start) 5, 5, 40, 2 s and 2 s for the cancelled job
    # that never started (submit to end); runs 5, 15, 60, 2, 0 s over the five ended jobs.
    assert totals["mean_queue_wait_seconds"] == round(54 / 5, 3)
    assert totals["mean_run_seconds"] == round(82 / 5, 3)
    # Queue wait to the FIRST claim: 5, 2 (the retried job's first attempt, not its second),
    # 40 and 2 s; the cancelled job was never claimed. p50 is the 2nd of 2, 2, 5, 40 (bucket
    # 1–2 s, both 2 s values in it: read at its top), p95 the 4th (bucket 30–45 s, its top).
    assert totals["claimed_jobs"] == 4 and totals["mean_first_wait_seconds"] == 12.25
    assert (totals["queue_wait_p50_seconds"], totals["queue_wait_p95_seconds"]) == (2.0, 45.0)
    assert data["queue_wait_histogram"]["counts"][1] == 2
    assert sum(data["queue_wait_histogram"]["counts"]) == 4
    assert (totals["calls"], totals["calls_failed"], totals["call_retries"]) == (4, 2, 1)
    assert (totals["retried_jobs"], totals["fallbacks"], totals["images"]) == (1, 0, 3)
    # Three decisions (the star is none): two approvals after 60 s and 120 s, one rejection
    # after 180 s.
    assert (totals["decisions"], totals["approvals"], totals["rejections"]) == (3, 2, 1)
    assert totals["approval_rate"] == round(2 / 3, 4) and totals["mean_decision_seconds"] == 120
    assert (totals["scored"], totals["drifted"], totals["drift_rate"]) == (2, 1, 0.5)
    assert totals["cost"] == [{"currency": "EUR", "amount": 0.39}]
    assert totals["cost_per_approved"] == [{"currency": "EUR", "amount": 0.195}]
    assert data["failures"] == [{"error_class": "provider_blocked", "jobs": 1, "rate": 0.25}]
    [series] = [row for row in data["series"] if row["results"]]
    assert series["bucket"] == seeded.hour.isoformat() and series["results"] == 4
    assert series["cost"] == [{"currency": "EUR", "amount": 0.39}]
    assert series["failed_by_class"] == [
        {"error_class": "provider_blocked", "jobs": 1, "rate": 0.25}
    ]
    assert series["queue_wait_p50_seconds"] == 2.0
    assert data["queue"]["depth"] == 2
    oldest = seeded.now - timedelta(minutes=10)
    assert data["queue"]["oldest_queued_at"] == oldest.isoformat()
    assert data["queue"]["oldest_wait_seconds"] >= 600
    assert [(b["provider"], b["state"]) for b in data["breakers"]] == [("gemini", "open")]
    assert sum(data["delivery_histogram"]["counts"]) == 3


@pytest.mark.django_db
def test_team_provider_and_person_scopes(seeded):
    totals = get(seeded.admin, team=seeded.team.pk, **_range(seeded)).json()["totals"]
    # Board two adds one succeeded OpenAI job (fallback, 0.04 EUR, rejected); Elsewhere's
    # failure never shows.
    assert (totals["results"], totals["jobs_succeeded"], totals["jobs_failed"]) == (5, 4, 1)
    assert totals["failure_rate"] == 0.2 and totals["fallbacks"] == 1
    assert totals["cost"] == [{"currency": "EUR", "amount": 0.43}]
    assert totals["cost_per_approved"] == [{"currency": "EUR", "amount": 0.215}]
    assert totals["approval_rate"] == 0.5
    person = get(seeded.admin, team=seeded.team.pk, user=seeded.member.pk, **_range(seeded))
    assert person.json()["totals"]["results"] == 1
    gemini = get(seeded.admin, board=seeded.one.pk, provider="gemini", **_range(seeded))
    assert gemini.json()["totals"]["results"] == 3  # the local job is not Gemini's
    days = get(seeded.admin, team=seeded.team.pk, granularity="day").json()
    assert days["totals"]["results"] == 5 and days["scope"]["granularity"] == "day"


@pytest.mark.django_db
def test_every_series_downloads_as_csv(seeded):
    response = get(seeded.admin, board=seeded.one.pk, format="csv", **_range(seeded))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "bucket",
        "results",
        "jobs_succeeded",
        "jobs_failed",
        "jobs_cancelled",
        "images",
    ]
    assert [seeded.hour.isoformat(), "4", "3", "1", "1", "3"] in rows[1:]
    failures = get(
        seeded.admin, board=seeded.one.pk, format="csv", series="failures", **_range(seeded)
    )
    assert list(csv.reader(io.StringIO(failures.content.decode()))) == [
        ["error_class", "jobs", "rate"], ["provider_blocked", "1", "0.25"],
    ]  # fmt: skip
    cost = get(seeded.admin, board=seeded.one.pk, format="csv", series="cost", **_range(seeded))
    assert list(csv.reader(io.StringIO(cost.content.decode()))) == [
        ["bucket", "currency", "amount"], [seeded.hour.isoformat(), "EUR", "0.39"],
    ]  # fmt: skip
    over_time = get(
        seeded.admin, team=seeded.team.pk, format="csv", series="failures_over_time",
        **_range(seeded),
    )  # fmt: skip
    assert list(csv.reader(io.StringIO(over_time.content.decode()))) == [
        ["bucket", "error_class", "jobs", "rate"],
        [seeded.hour.isoformat(), "provider_blocked", "1", "0.2"],
    ]
    wait = get(
        seeded.admin, board=seeded.one.pk, format="csv", series="queue_wait", **_range(seeded)
    )
    assert list(csv.reader(io.StringIO(wait.content.decode()))) == [
        ["bucket", "claimed_jobs", "queue_wait_p50_seconds", "queue_wait_p95_seconds",
         "mean_first_wait_seconds"],
        [seeded.hour.isoformat(), "4", "2.0", "45.0", "12.25"],
    ]  # fmt: skip
    for series in ("delivery", "retries", "approval", "drift", "breakers", "queue"):
        answer = get(seeded.admin, board=seeded.one.pk, format="csv", series=series)
        assert answer.status_code == 200 and len(answer.content.decode().splitlines()) >= 2
    wrong = get(seeded.admin, board=seeded.one.pk, format="csv", series="nope")
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "invalid_dashboard_query"


@pytest.mark.django_db
def test_who_may_see_what(seeded):
    team, one, two, other = seeded.team.pk, seeded.one.pk, seeded.two.pk, seeded.other.pk
    cases = [
        (seeded.admin, {"team": team}, 200),
        (seeded.admin, {"board": one}, 200),
        (seeded.member, {"team": team}, 200),  # a team member sees the team's numbers …
        (seeded.member, {"board": one}, 404),  # … but a board only with a role on it
        (seeded.viewer, {"board": one}, 200),  # a board viewer outside the team
        (seeded.viewer, {"team": team}, 404),
        (seeded.viewer, {"board": two}, 404),
        (seeded.stranger, {"team": team}, 404),
        (seeded.stranger, {"board": one}, 404),
        (seeded.stranger, {"team": seeded.elsewhere.pk, "board": one}, 404),
        (seeded.admin, {"team": team, "board": other}, 404),
        (seeded.admin, {"board": one, "from": "yesterday"}, 400),
        (seeded.admin, {"board": one, "granularity": "hour", "from": "2020-01-01"}, 400),
        (None, {"team": team}, 401),
    ]
    for user, params, status in cases:
        response = get(user, **params)
        assert response.status_code == status, (user, params, response.content)
    # With one team and no scope, the caller's team is meant.
    assert get(seeded.member).json()["scope"]["team"] == str(team)


@pytest.mark.parametrize("text", ["x", "2026-13-01", "2026-02-30", "2026-12-01T25:00"])
def test_an_impossible_date_is_a_clear_400_not_a_500(seeded, text):
    """Django's parsers return None for a malformed date but raise for a well-formed
    impossible one (month 13): both are the caller's mistake, said as such."""
    response = get(seeded.admin, board=seeded.one.pk, **{"from": text})
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "invalid_dashboard_query" and "ISO date" in body["message"]
