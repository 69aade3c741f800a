"""Job requests over the board websocket: submit, cancel, retry, move, pause, and what
people do with results (apply, discard, restore, make current, re-run).

Each test goes through the real ASGI stack (tests/wsclient.py); the queue and the
runner are the real ones, driven by hand because tests use the inline dispatcher.
"""

from __future__ import annotations

import json
import uuid

import pytest
from channels.db import database_sync_to_async

from canvas.jobs import queue, runner
from canvas.models import Item
from canvas.models.jobs import Iteration, IterationStatus, Job, JobState
from tests import factories
from tests.jobs.conftest import REGION, add_image
from tests.wsclient import open_socket

pytestmark = pytest.mark.django_db(transaction=True)


def submit_message(request_id: str = "r1", **overrides) -> dict:
    return {
        "type": "job_submit",
        "request_id": request_id,
        "mode": "img2img",
        "engine": "test-echo",
        "region": REGION,
        "prompt": "",
        "negative_prompt": "",
        "strength": 0.5,
        "seed": 7,
        "count": 2,
        "output_size": None,
        "scale": 2,
        "anchors": [],
        "mask": None,
        **overrides,
    }


async def recv_until(sock, predicate, limit: int = 50) -> tuple[dict, list[dict]]:
    """The first message matching ``predicate`` and everything received before it."""
    seen: list[dict] = []
    for _ in range(limit):
        message = await sock.recv()
        if predicate(message):
            return message, seen
        seen.append(message)
    raise AssertionError(f"no matching message among {[m.get('type') for m in seen]}")


async def member(board, name: str, role: str):
    user = await database_sync_to_async(factories.make_user)(name)
    await database_sync_to_async(board.memberships.create)(user=user, role=role)
    sock, welcome = await open_socket(board, user)
    assert welcome["type"] == "welcome"
    await sock.sync()
    return user, sock


def run_next_job() -> None:
    claim = queue.claim_next("ws-test")
    assert claim is not None
    runner.execute(claim.job_id, "ws-test")


async def finished_job(board, owner_sock, watcher_sock) -> tuple[str, list[str]]:
    """Submit over the socket, run it, and return (job id, iteration ids) once staged."""
    await owner_sock.send(submit_message())
    accepted, _ = await recv_until(owner_sock, lambda m: m["type"] == "job_accepted")
    await database_sync_to_async(run_next_job)()
    job_id = accepted["job"]["id"]
    await recv_until(
        watcher_sock,
        lambda m: (
            m["type"] == "job" and m["job"]["id"] == job_id and m["job"]["state"] == "succeeded"
        ),
    )
    ids = await database_sync_to_async(
        lambda: [
            str(i)
            for i in Iteration.objects.filter(job_id=job_id)
            .order_by("index")
            .values_list("id", flat=True)
        ]
    )()
    return job_id, ids


async def test_submit_is_accepted_and_everyone_follows_it(board, owner, image_item):
    _, editor_sock = await member(board, "editor1", "editor")
    _, watcher = await member(board, "watcher", "viewer")

    await editor_sock.send(submit_message("req-42"))
    accepted, _ = await recv_until(editor_sock, lambda m: m["type"] == "job_accepted")
    assert accepted["request_id"] == "req-42"
    job = accepted["job"]
    assert job["state"] == "queued" and job["mode"] == "img2img" and job["engine"] == "test-echo"
    assert job["spec"]["seed"] == 7 and job["spec"]["count"] == 2
    assert job["spec"]["region"] == {k: float(v) for k, v in REGION.items()}

    queued, _ = await recv_until(watcher, lambda m: m["type"] == "job")
    assert queued["job"]["id"] == job["id"] and queued["job"]["state"] == "queued"

    await database_sync_to_async(run_next_job)()
    _, before = await recv_until(
        watcher, lambda m: m["type"] == "job" and m["job"]["state"] == "succeeded"
    )
    results = [m["iteration"] for m in before if m["type"] == "iteration"]
    assert {r["index"] for r in results} == {0, 1}
    assert all(r["job"] == job["id"] and r["status"] == "staged" for r in results)
    await editor_sock.close()
    await watcher.close()


async def test_random_seed_is_drawn_by_the_server(board, owner, image_item):
    _, sock = await member(board, "editor1", "editor")
    await sock.send(submit_message(seed=None))
    accepted, _ = await recv_until(sock, lambda m: m["type"] == "job_accepted")
    spec = accepted["job"]["spec"]
    assert spec["seed_mode"] == "random" and isinstance(spec["seed"], int)
    await sock.close()


async def test_viewer_cannot_submit_or_change_jobs(board, owner, image_item):
    _, viewer = await member(board, "viewer1", "viewer")
    job = await database_sync_to_async(queue.submit_job)(
        board, owner, {"mode": "img2img", "engine": "test-echo", "region": REGION, "seed": 1}
    )
    for message in (
        submit_message("v1"),
        {"type": "job_cancel", "request_id": "v2", "job_id": str(job.pk)},
        {"type": "job_move", "request_id": "v3", "job_id": str(job.pk), "to": "front"},
        {"type": "queue_pause", "request_id": "v4"},
        {"type": "iteration_discard", "request_id": "v5", "id": str(uuid.uuid4())},
    ):
        await viewer.send(message)
        reply, _ = await recv_until(viewer, lambda m: m["type"] == "error")
        assert reply["code"] == "forbidden" and reply["request_id"] == message["request_id"]
        assert "editor" in reply["message"]
    assert await database_sync_to_async(Job.objects.count)() == 1
    job = await database_sync_to_async(Job.objects.get)(pk=job.pk)
    assert job.state == JobState.QUEUED
    board_paused = await database_sync_to_async(
        lambda: type(board).objects.get(pk=board.pk).queue_paused
    )()
    assert board_paused is False
    await viewer.close()


@pytest.mark.parametrize(
    ("overrides", "code", "words"),
    [
        ({"count": 33}, "bad_message", "count"),
        ({"count": 0}, "bad_message", "count"),
        ({"mode": "paint"}, "bad_message", "mode"),
        ({"region": {"x": 0, "y": 0, "width": 0, "height": 10}}, "bad_message", "region"),
        ({"region": "all"}, "bad_message", "region"),
        ({"strength": 2}, "bad_message", "strength"),
        ({"seed": -1}, "bad_message", "seed"),
        ({"anchors": [{"item_id": "nope", "role": "palette"}]}, "bad_message", "item_id"),
        ({"anchors": [{"item_id": str(uuid.uuid4()), "role": "mood"}]}, "bad_message", "role"),
        ({"mask": "not-an-id"}, "bad_message", "mask"),
        ({"engine": "no-such-engine"}, "unknown_engine", "no-such-engine"),
        (
            {"region": {"x": 5000, "y": 5000, "width": 10, "height": 10}},
            "invalid_job",
            "no visible",
        ),
        ({"mode": "inpaint"}, "invalid_job", "mask"),
        ({"anchors": [{"item_id": str(uuid.uuid4()), "role": "palette"}]}, "invalid_job", "anchor"),
    ],
)
async def test_malformed_submits_are_refused_with_the_request_id(
    board, owner, image_item, overrides, code, words
):
    _, sock = await member(board, "editor1", "editor")
    await sock.send(submit_message("bad-1", **overrides))
    reply, _ = await recv_until(sock, lambda m: m["type"] == "error")
    assert reply["code"] == code
    assert reply["request_id"] == "bad-1"
    assert words.lower() in reply["message"].lower()
    assert await database_sync_to_async(Job.objects.count)() == 0
    await sock.ping()  # the socket stays usable
    await sock.close()


async def test_submit_without_request_id_and_garbage_job_ids(board, owner, image_item):
    _, sock = await member(board, "editor1", "editor")
    message = submit_message()
    del message["request_id"]
    await sock.send(message)
    reply, _ = await recv_until(sock, lambda m: m["type"] == "error")
    assert reply["code"] == "bad_message" and "request_id" in reply["message"]
    await sock.send({"type": "job_cancel", "request_id": "c1", "job_id": "42"})
    reply, _ = await recv_until(sock, lambda m: m["type"] == "error")
    assert reply["code"] == "bad_message" and reply["request_id"] == "c1"
    await sock.send({"type": "job_cancel", "request_id": "c2", "job_id": str(uuid.uuid4())})
    reply, _ = await recv_until(sock, lambda m: m["type"] == "error")
    assert reply["code"] == "job_not_found" and reply["request_id"] == "c2"
    await sock.close()


async def test_jobs_of_another_board_are_not_found(board, owner, image_item):
    other = await database_sync_to_async(factories.make_board)(owner=owner, name="Other")
    await database_sync_to_async(add_image)(other, owner)
    foreign = await database_sync_to_async(queue.submit_job)(
        other, owner, {"mode": "img2img", "engine": "test-echo", "region": REGION, "seed": 1}
    )
    _, sock = await member(board, "editor1", "editor")
    await sock.send({"type": "job_cancel", "request_id": "x", "job_id": str(foreign.pk)})
    reply, _ = await recv_until(sock, lambda m: m["type"] == "error")
    assert reply["code"] == "job_not_found"
    foreign = await database_sync_to_async(Job.objects.get)(pk=foreign.pk)
    assert foreign.state == JobState.QUEUED
    await sock.close()


async def test_cancel_retry_move_and_pause(board, owner, image_item):
    _, sock = await member(board, "editor1", "editor")
    _, watcher = await member(board, "watcher", "viewer")
    first = await database_sync_to_async(queue.submit_job)(
        board, owner, {"mode": "img2img", "engine": "test-echo", "region": REGION, "seed": 1}
    )
    second = await database_sync_to_async(queue.submit_job)(
        board, owner, {"mode": "img2img", "engine": "test-echo", "region": REGION, "seed": 2}
    )

    await sock.send(
        {"type": "job_move", "request_id": "m", "job_id": str(second.pk), "to": "front"}
    )
    done, _ = await recv_until(sock, lambda m: m["type"] == "request_done")
    assert done == {
        "type": "request_done",
        "request_id": "m",
        "request": "job_move",
        "items": None,
    }
    positions = await database_sync_to_async(
        lambda: dict(Job.objects.values_list("id", "position"))
    )()
    assert positions[second.pk] < positions[first.pk]

    await sock.send({"type": "job_cancel", "request_id": "c", "job_id": str(first.pk)})
    await recv_until(sock, lambda m: m["type"] == "request_done" and m["request_id"] == "c")
    cancelled, _ = await recv_until(
        watcher, lambda m: m["type"] == "job" and m["job"]["state"] == "cancelled"
    )
    assert cancelled["job"]["id"] == str(first.pk)

    await sock.send({"type": "job_cancel", "request_id": "c-again", "job_id": str(first.pk)})
    reply, _ = await recv_until(sock, lambda m: m["type"] == "error")
    assert reply["code"] == "job_state_conflict" and reply["request_id"] == "c-again"

    await sock.send({"type": "job_retry", "request_id": "r", "job_id": str(first.pk)})
    accepted, _ = await recv_until(sock, lambda m: m["type"] == "job_accepted")
    assert accepted["request_id"] == "r"
    assert accepted["job"]["retried_from"] == str(first.pk)
    assert accepted["job"]["spec"]["seed"] == 1 and accepted["job"]["state"] == "queued"

    await sock.send({"type": "queue_pause", "request_id": "p"})
    paused, _ = await recv_until(watcher, lambda m: m["type"] == "job_queue")
    assert paused == {"type": "job_queue", "board": str(board.pk), "paused": True}
    assert await database_sync_to_async(queue.claim_next)("ws-test") is None  # paused board
    await sock.send({"type": "queue_resume"})
    resumed, _ = await recv_until(watcher, lambda m: m["type"] == "job_queue")
    assert resumed["paused"] is False
    await sock.close()
    await watcher.close()


async def test_apply_discard_restore_make_current_and_rerun(board, owner, image_item):
    _, sock = await member(board, "editor1", "editor")
    _, watcher = await member(board, "watcher", "viewer")
    job_id, (first, second) = await finished_job(board, sock, watcher)

    await sock.send({"type": "iteration_apply", "request_id": "a", "ids": [first]})
    done, _ = await recv_until(
        sock, lambda m: m["type"] == "request_done" and m["request_id"] == "a"
    )
    applied, _ = await recv_until(watcher, lambda m: m["type"] == "applied")
    created = applied["ops"][0]["item"]
    # The requester learns which layer its apply made: that is what its undo removes.
    assert done["items"] == {first: created["id"]}
    assert applied["ops"][0]["op"] == "create" and created["props"]["iteration"] == first
    assert (created["x"], created["y"]) == (REGION["x"], REGION["y"])
    state, _ = await recv_until(
        watcher, lambda m: m["type"] == "iteration" and m["iteration"]["id"] == first
    )
    assert state["iteration"]["status"] == "applied"

    await sock.send({"type": "iteration_discard", "request_id": "d", "id": second})
    await recv_until(sock, lambda m: m["type"] == "request_done" and m["request_id"] == "d")
    row = await database_sync_to_async(Iteration.objects.get)(pk=second)
    assert row.status == IterationStatus.DISCARDED

    await sock.send({"type": "iteration_make_current", "request_id": "mc", "id": second})
    reply, _ = await recv_until(sock, lambda m: m["type"] == "error")
    assert reply["code"] == "iteration_state_conflict" and reply["request_id"] == "mc"

    await sock.send({"type": "iteration_restore", "request_id": "rs", "id": second})
    await recv_until(sock, lambda m: m["type"] == "request_done" and m["request_id"] == "rs")
    await sock.send({"type": "iteration_make_current", "request_id": "mc2", "id": second})
    await recv_until(sock, lambda m: m["type"] == "request_done" and m["request_id"] == "mc2")
    rows = await database_sync_to_async(
        lambda: {str(i.pk): i for i in Iteration.objects.filter(job_id=job_id)}
    )()
    assert rows[second].status == IterationStatus.STAGED and rows[second].is_current
    assert not rows[first].is_current

    await sock.send({"type": "iteration_rerun", "request_id": "rr", "id": first})
    accepted, _ = await recv_until(sock, lambda m: m["type"] == "job_accepted")
    assert accepted["request_id"] == "rr"
    original = await database_sync_to_async(Job.objects.get)(pk=job_id)
    assert accepted["job"]["spec"]["seed"] == original.spec["seed"]
    assert accepted["job"]["id"] != job_id
    await sock.close()
    await watcher.close()


async def test_apply_several_lays_out_a_grid_beside_the_region(board, owner, image_item):
    _, sock = await member(board, "editor1", "editor")
    _, watcher = await member(board, "watcher", "viewer")
    _, ids = await finished_job(board, sock, watcher)
    await sock.send({"type": "iteration_apply", "request_id": "g", "ids": ids, "layout": "grid"})
    await recv_until(sock, lambda m: m["type"] == "request_done")
    items = await database_sync_to_async(
        lambda: list(Item.objects.filter(props__has_key="iteration").order_by("x"))
    )()
    assert len(items) == 2
    assert all(i.x >= REGION["x"] + REGION["width"] for i in items)  # beside, not over
    await sock.send({"type": "iteration_apply", "request_id": "s", "ids": ids, "layout": "single"})
    reply, _ = await recv_until(sock, lambda m: m["type"] == "error")
    assert reply["code"] == "bad_message" and reply["request_id"] == "s"
    await sock.close()
    await watcher.close()


async def test_results_of_another_board_cannot_be_touched(board, owner, image_item):
    other = await database_sync_to_async(factories.make_board)(owner=owner, name="Other")
    _, sock = await member(board, "editor1", "editor")
    _, watcher = await member(board, "watcher", "viewer")
    _, (first, _second) = await finished_job(board, sock, watcher)
    await database_sync_to_async(other.memberships.create)(
        user=await database_sync_to_async(factories.make_user)("intruder"), role="editor"
    )
    intruder = await database_sync_to_async(lambda: other.memberships.get(role="editor").user)()
    intruder_sock, _ = await open_socket(other, intruder)
    await intruder_sock.sync()
    await intruder_sock.send({"type": "iteration_discard", "request_id": "i", "id": first})
    reply, _ = await recv_until(intruder_sock, lambda m: m["type"] == "error")
    assert reply["code"] == "iteration_not_found"
    row = await database_sync_to_async(Iteration.objects.get)(pk=first)
    assert row.status == IterationStatus.STAGED
    for s in (sock, watcher, intruder_sock):
        await s.close()


def test_job_spec_keeps_every_submitted_field():
    from canvas.protocol import job_spec, parse_client_message

    message = parse_client_message(json.dumps(submit_message(seed=None, count=4)))
    spec = job_spec(message)
    assert spec["seed_mode"] == "random" and spec["count"] == 4
    assert "type" not in spec and "request_id" not in spec


def _mask_asset(board, user, painted: bool):
    """A painted-overlay mask PNG (transparent, a 6×6 opaque square when ``painted``)."""
    import io

    from PIL import Image

    from assets.services import ingest_bytes

    image = Image.new("RGBA", (REGION["width"], REGION["height"]), (255, 255, 255, 0))
    if painted:
        image.paste((255, 255, 255, 255), (4, 4, 10, 10))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return ingest_bytes(board, user, buffer.getvalue(), "inpaint-mask.png")


async def test_inpaint_with_the_local_engine_uses_the_uploaded_mask(board, owner, image_item):
    _, sock = await member(board, "editor1", "editor")
    empty = await database_sync_to_async(_mask_asset)(board, owner, False)
    await sock.send(
        submit_message("empty", mode="inpaint", engine="local", count=1, mask=str(empty.pk))
    )
    reply, _ = await recv_until(sock, lambda m: m["type"] == "error")
    assert reply["request_id"] == "empty" and "mask is empty" in reply["message"]

    painted = await database_sync_to_async(_mask_asset)(board, owner, True)
    await sock.send(
        submit_message("ok", mode="inpaint", engine="local", count=1, mask=str(painted.pk))
    )
    accepted, _ = await recv_until(sock, lambda m: m["type"] == "job_accepted")
    assert accepted["request_id"] == "ok" and accepted["job"]["spec"]["mask"] == str(painted.pk)
    await database_sync_to_async(run_next_job)()
    job = await database_sync_to_async(Job.objects.get)(pk=accepted["job"]["id"])
    assert job.state == JobState.SUCCEEDED
    await sock.close()
