"""Deliveries against a real receiver on loopback: signed, retried with backoff on a clock
the test moves, given up after a day, idempotent by event id, 410 switches off, no
redirects, and refused addresses never reached."""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest

from canvas.webhooks import delivery, dispatch, endpoints, events
from canvas.webhooks.models import DeliveryState, WebhookDelivery, WebhookEvent
from tests.webhooks.conftest import Reply

pytestmark = pytest.mark.django_db

DATA = {"batch": {"id": "b1", "jobs": 3}}


@pytest.fixture
def queued(team, endpoint, clock, django_capture_on_commit_callbacks):
    """queued(data=…, key=…) -> the delivery ids of one new event, not attempted yet (the
    clock is moved to when they are due, if it was behind)."""

    def make(data=DATA, key=""):
        with django_capture_on_commit_callbacks(execute=False):
            event = dispatch.emit(events.BATCH_COMPLETED, team, data, key=key)
        assert event is not None
        rows = list(event.deliveries.order_by("created_at"))
        clock.now = max([clock.now, *(d.next_attempt_at for d in rows)])
        return [str(d.pk) for d in rows]

    return make


def row(delivery_id) -> WebhookDelivery:
    return WebhookDelivery.objects.select_related("endpoint", "event").get(pk=delivery_id)


def test_a_delivery_is_signed_and_the_receiver_verifies_it(queued, receiver, clock, endpoint):
    (did,) = queued()
    assert delivery.attempt(did, clock=clock) == DeliveryState.DELIVERED
    (got,) = receiver.received
    assert got.verified, got.error
    event = WebhookEvent.objects.get()
    assert got.headers["Anchorboard-Event-Id"] == str(event.pk) == got.event["id"]
    assert got.headers["Anchorboard-Event-Type"] == "batch.completed" == got.event["type"]
    assert got.headers["Anchorboard-Delivery-Id"] == did
    assert got.event["data"] == DATA and got.event["team"] == str(endpoint.team_id)
    assert got.path == "/hooks/anchorboard"
    d = row(did)
    assert (d.attempts, d.last_status_code, d.response_excerpt) == (1, 200, "ok")
    assert d.delivered_at == clock.now and d.next_attempt_at is None


def test_a_receiver_with_another_secret_refuses_and_the_delivery_is_retried(
    queued, receiver, clock
):
    receiver.secret = "whsec_not-the-one"
    (did,) = queued()
    assert delivery.attempt(did, clock=clock) == DeliveryState.PENDING
    assert not receiver.received[0].verified
    d = row(did)
    assert (d.last_status_code, d.last_error) == (400, "http_400")
    assert d.next_attempt_at > clock.now


def test_a_stale_signature_is_refused_by_the_receiver(queued, receiver, clock):
    (did,) = queued()
    sender_time = clock.now
    receiver.clock = lambda: sender_time + timedelta(minutes=10)  # 10 minutes apart
    assert delivery.attempt(did, clock=clock) == DeliveryState.PENDING
    (got,) = receiver.received
    assert not got.verified and "tolerance" in got.error


def test_500s_are_retried_with_growing_backoff_until_delivered(queued, receiver, clock):
    receiver.reply(Reply(500, "boom"), Reply(503, "busy"))
    (did,) = queued()
    rng = random.Random(7)
    start = clock.now
    assert delivery.attempt(did, clock=clock, rng=rng) == DeliveryState.PENDING
    first_wait = (row(did).next_attempt_at - start).total_seconds()
    assert 15 <= first_wait <= 30  # 30 s, half of it jitter
    # Not due yet: nothing is sent before the backoff ends.
    clock.advance(first_wait - 1)
    assert delivery.attempt(did, clock=clock, rng=rng) is None
    assert len(receiver.received) == 1
    clock.now = row(did).next_attempt_at
    second = clock.now
    assert delivery.attempt(did, clock=clock, rng=rng) == DeliveryState.PENDING
    second_wait = (row(did).next_attempt_at - second).total_seconds()
    assert 30 <= second_wait <= 60
    clock.now = row(did).next_attempt_at
    assert delivery.attempt(did, clock=clock, rng=rng) == DeliveryState.DELIVERED
    assert [r.headers["Anchorboard-Event-Id"] for r in receiver.received] == [
        receiver.received[0].headers["Anchorboard-Event-Id"]
    ] * 3
    assert len({r.body for r in receiver.received}) == 1  # the same bytes every time
    assert row(did).attempts == 3 and row(did).last_error == ""


def test_a_timeout_is_retried(queued, receiver, clock, monkeypatch):
    monkeypatch.setattr(delivery, "TOTAL_TIMEOUT", 0.5)
    release = threading.Event()
    receiver.reply(Reply(200, hold=release))
    (did,) = queued()
    try:
        assert delivery.attempt(did, clock=clock) == DeliveryState.PENDING
    finally:
        release.set()
    d = row(did)
    assert d.last_error == "timeout" and d.last_status_code is None
    clock.now = d.next_attempt_at
    assert delivery.attempt(did, clock=clock) == DeliveryState.DELIVERED


def test_it_gives_up_after_a_day(queued, receiver, clock):
    receiver.default = Reply(500, "down")
    (did,) = queued()
    created = clock.now
    waits = []
    answers: list[delivery.Answer] = []

    def post(url: str, body: bytes, headers: dict[str, str]) -> delivery.Answer:
        # The real POST, with what it produced kept: on a loaded machine one attempt can
        # time out before the receiver reads it, and is retried like any other failure.
        answers.append(delivery.http_post(url, body, headers))
        return answers[-1]

    while (
        state := delivery.attempt(did, clock=clock, rng=random.Random(1), post=post)
    ) == "pending":
        due = row(did).next_attempt_at
        waits.append((due - clock.now).total_seconds())
        clock.now = due
    assert state == DeliveryState.FAILED
    d = row(did)
    assert d.give_up_at == created + timedelta(hours=24) or d.give_up_at >= created
    assert clock.now >= d.give_up_at  # the last attempt was made at the deadline
    assert waits == sorted(waits[:-1]) + waits[-1:]  # growing, then the deadline's remainder
    assert max(waits) <= 3600
    # Doubling from 30 s to an hour (7 steps), then every 30–60 min for the rest of the day.
    assert d.attempts == len(answers) and 25 <= d.attempts <= 60
    # Every answered attempt was received, none twice; any other timed out on the way
    # (received or not). Most were answered: a slow moment, not a broken sender.
    answered = [a for a in answers if a.status is not None]
    assert {a.status for a in answered} == {500}
    assert all(a.error == "timeout" for a in answers if a.status is None), answers
    assert len(answered) <= len(receiver.received) <= len(answers)
    assert len(answered) > len(answers) // 2, answers


def test_410_gone_ends_the_delivery_and_switches_the_endpoint_off(
    queued, receiver, clock, endpoint, team
):
    first, second = queued()[0], queued(key="second")[0]
    receiver.reply(Reply(410, "gone"))
    assert delivery.attempt(first, clock=clock) == DeliveryState.FAILED
    endpoint.refresh_from_db()
    assert not endpoint.active and "410" in endpoint.disabled_reason
    # Already queued deliveries end without a request; new events are not recorded for it.
    assert delivery.attempt(second, clock=clock) == DeliveryState.FAILED
    assert row(second).last_error == "endpoint_off"
    assert len(receiver.received) == 1
    assert dispatch.emit(events.BATCH_COMPLETED, team, DATA) is None


def test_redirects_are_not_followed(queued, receiver, clock):
    receiver.reply(Reply(302, "", headers={"Location": f"{receiver.url}/elsewhere"}))
    (did,) = queued()
    assert delivery.attempt(did, clock=clock) == DeliveryState.PENDING
    assert len(receiver.received) == 1
    assert row(did).last_error == "redirect"


def test_an_unreachable_endpoint_is_a_connection_error(queued, clock, endpoint):
    endpoint.url = "http://127.0.0.1:9/nobody-listens"
    endpoint.save()
    (did,) = queued()
    assert delivery.attempt(did, clock=clock) == DeliveryState.PENDING
    assert row(did).last_error == "connect_error"


def test_a_refused_address_is_never_contacted(queued, receiver, clock, settings):
    (did,) = queued()
    settings.ANCHORBOARD_WEBHOOK_ALLOW_PRIVATE_URLS = False  # production: loopback refused
    assert delivery.attempt(did, clock=clock) == DeliveryState.FAILED
    assert row(did).last_error == "refused_address"
    assert receiver.received == []


def test_a_name_is_resolved_and_the_checked_address_used(queued, receiver, clock, endpoint):
    endpoint.url = f"http://localhost:{receiver.port}/hooks/anchorboard"
    endpoint.save()
    (did,) = queued()
    assert delivery.attempt(did, clock=clock) == DeliveryState.DELIVERED
    assert receiver.received[0].headers["Host"] == f"localhost:{receiver.port}"


def test_a_failing_endpoint_holds_back_its_other_deliveries(queued, receiver, clock):
    receiver.default = Reply(500)
    first, second = queued()[0], queued(key="two")[0]
    delivery.attempt(first, clock=clock)
    assert row(second).next_attempt_at == row(first).next_attempt_at
    assert delivery.attempt(second, clock=clock) is None  # not due: no second request
    assert len(receiver.received) == 1


def test_a_sender_that_dies_mid_attempt_leaves_the_delivery_due_after_its_lease(queued, clock):
    (did,) = queued()

    def crash(url, body, headers):
        raise RuntimeError("sender killed")

    with pytest.raises(RuntimeError):
        delivery.attempt(did, clock=clock, post=crash)
    assert row(did).state == DeliveryState.PENDING and row(did).attempts == 1
    assert delivery.attempt(did, clock=clock) is None  # still leased
    clock.advance(delivery.LEASE.total_seconds())
    assert delivery.attempt(did, clock=clock) == DeliveryState.DELIVERED


def test_one_attempt_per_due_delivery(queued, receiver, clock):
    (did,) = queued()
    assert delivery.attempt(did, clock=clock) == DeliveryState.DELIVERED
    assert delivery.attempt(did, clock=clock) is None
    assert len(receiver.received) == 1


def test_resend_sends_the_same_event_id_and_the_receiver_recognises_it(
    queued, receiver, clock, admin, django_capture_on_commit_callbacks
):
    (did,) = queued()
    delivery.attempt(did, clock=clock)
    with django_capture_on_commit_callbacks(execute=True):
        copy = endpoints.resend(row(did), admin)  # inline dispatcher: sent at commit
    first, again = receiver.received
    assert again.headers["Anchorboard-Event-Id"] == first.headers["Anchorboard-Event-Id"]
    assert again.body == first.body
    assert again.headers["Anchorboard-Delivery-Id"] == str(copy.pk) != did
    assert not first.duplicate and again.duplicate
    assert row(copy.pk).state == DeliveryState.DELIVERED and row(copy.pk).resend_of_id


def test_emit_with_a_key_records_one_event(queued):
    first = queued(key="batch:b1")
    assert queued(key="batch:b1") == first
    assert WebhookEvent.objects.count() == 1


def test_a_rolled_secret_signs_with_both_for_a_day(queued, receiver, clock, endpoint):
    old = receiver.secret
    endpoints.roll_secret(endpoint)
    (did,) = queued()
    delivery.attempt(did, clock=clock)  # the receiver still has the old secret
    assert receiver.received[-1].verified
    endpoint.refresh_from_db()
    assert endpoint.secret != old
    receiver.secret = endpoint.secret
    clock.advance(25 * 3600)  # past the grace period: only the new secret signs
    (later,) = queued(key="later")
    WebhookDelivery.objects.filter(pk=later).update(next_attempt_at=clock.now)
    WebhookDelivery.objects.filter(pk=later).update(give_up_at=clock.now + timedelta(hours=1))
    delivery.attempt(later, clock=clock)
    assert receiver.received[-1].headers["Anchorboard-Signature"].count("v1=") == 1
    assert receiver.received[-1].verified


def test_the_log_keeps_thirty_days_and_everything_still_pending(queued, clock):
    from canvas.webhooks import retention

    old_done, old_pending, recent = queued()[0], queued(key="p")[0], queued(key="r")[0]
    delivery.attempt(old_done, clock=clock)
    month_ago = clock.now - timedelta(days=31)
    WebhookEvent.objects.exclude(key="r").update(created_at=month_ago)
    assert retention.prune() == 1
    assert not WebhookDelivery.objects.filter(pk=old_done).exists()
    assert WebhookDelivery.objects.filter(pk__in=[old_pending, recent]).count() == 2
    assert WebhookEvent.objects.count() == 2
