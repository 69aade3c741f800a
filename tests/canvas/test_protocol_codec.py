"""The codec's bounds (canvas.protocol.codec): every frame is refused with a ProtocolError
naming the problem, never an exception of another kind, whatever its size, nesting or text."""

from __future__ import annotations

import json
import uuid

import pytest

from canvas import protocol
from canvas.protocol import limits
from canvas.protocol.catalog import GUEST_CLIENT_MESSAGES
from canvas.protocol.codec import decode, parse
from canvas.protocol.share import GuestEditMessage
from canvas.sockets import BadInputLog


def refused(text: str | None, **kwargs) -> protocol.ProtocolError:
    with pytest.raises(protocol.ProtocolError) as info:
        parse(text, **kwargs)
    return info.value


def ops_text(*ops, batch_id: str = "b1") -> str:
    return json.dumps({"type": "ops", "batch_id": batch_id, "ops": list(ops)})


def update(**changes) -> dict:
    return {"op": "update", "id": str(uuid.uuid4()), "set": changes}


@pytest.mark.parametrize("depth", [limits.MAX_JSON_DEPTH + 2, 2_000, 100_000])
def test_deep_nesting_is_refused_without_recursion(depth):
    for text in (
        "[" * depth + "]" * depth,
        '{"type": "ping", "x": ' + "[" * depth + "]" * depth + "}",
    ):
        error = refused(text)
        assert error.code == "bad_message" and "nested too deeply" in error.message


def test_nesting_within_the_parser_limit_is_parsed_and_unknown_fields_are_dropped():
    deep = "[" * 150 + "]" * 150
    message = parse('{"type": "ping", "x": ' + deep + "}")
    assert message.type == "ping" and not hasattr(message, "x")


def test_size_is_checked_in_characters_then_utf8_bytes():
    assert refused(json.dumps({"type": "ping", "pad": "x" * limits.MAX_MESSAGE_BYTES})).code == (
        "message_too_large"
    )
    multibyte = json.dumps(
        {"type": "ping", "pad": "é" * (limits.MAX_MESSAGE_BYTES // 2)}, ensure_ascii=False
    )
    assert len(multibyte) < limits.MAX_MESSAGE_BYTES
    assert refused(multibyte).code == "message_too_large"
    guest = json.dumps({"type": "ping", "pad": "x" * limits.MAX_GUEST_MESSAGE_BYTES})
    error = refused(guest, messages=GUEST_CLIENT_MESSAGES, max_bytes=limits.MAX_GUEST_MESSAGE_BYTES)
    assert error.code == "message_too_large" and "4 KiB" in error.message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (None, "not binary"),
        ("", "not valid JSON"),
        ("\x00\x01garbage", "not valid JSON"),
        ('{"type": "ping"', "not valid JSON"),
        ('{"type": "sync", "since": NaN}', "not valid JSON"),
        ('{"type": "sync", "since": Infinity}', "not valid JSON"),
        ('{"type": "ops", "batch_id": "\\ud800", "ops": []}', "unpaired"),
        ('{"type": "pi\ud800ng"}', "UTF-8"),
        ("[]", "JSON object"),
        ('{"type": 3}', "JSON object"),
        ('{"type": "teleport"}', "Unknown message type"),
    ],
)
def test_frames_that_are_not_messages(text, words):
    error = refused(text)
    assert error.code == "bad_message" and words in error.message


@pytest.mark.parametrize(
    ("op", "where", "words"),
    [
        (update(name="a\x00b"), "ops[0].set.name", "NUL"),
        (update(props={"k\x00": 1}), "ops[0].set.props", "NUL"),
        (update(props={"k": ["ok", "a\x00"]}), "ops[0].set.props", "NUL"),
        (update(props={"deep": json.loads("[" * 20 + "]" * 20)}), "ops[0].set.props", "nested"),
        (update(props={"n": "__HUGE__"}), "ops[0].set.props", "finite"),
        (update(z="__HUGE__"), "ops[0].set.z", "finite"),
        (update(since=1), "ops[0].set", "cannot be changed"),
        (update(x=True), "ops[0].set.x", "finite number"),
    ],
)
def test_strings_numbers_and_props_are_checked_where_they_enter(op, where, words):
    # 1e999 is valid JSON that Python reads as infinity.
    error = refused(ops_text(op, batch_id="b-9").replace('"__HUGE__"', "1e999"))
    assert error.code == "bad_message" and error.batch_id == "b-9"
    assert error.message.startswith(where) and words in error.message


def test_props_at_the_depth_limit_are_kept_and_one_more_level_is_refused():
    def nested(levels: int):
        value: dict = {}
        for _ in range(levels - 1):
            value = {"k": value}
        return value

    (op,) = parse(ops_text(update(props=nested(limits.MAX_PROPS_DEPTH)))).operations()
    assert op["set"]["props"] == nested(limits.MAX_PROPS_DEPTH)
    assert "nested" in refused(ops_text(update(props=nested(limits.MAX_PROPS_DEPTH + 1)))).message


def test_revisions_stay_exact_in_javascript():
    assert refused('{"type": "sync", "since": 9007199254740992}').code == "bad_message"
    assert parse('{"type": "sync", "since": 9007199254740991}').since == 2**53 - 1


def test_ids_are_echoed_only_when_they_are_clean_short_strings():
    assert refused(ops_text(update(x="1"), batch_id="b\x00")).batch_id is None
    assert refused(ops_text(update(x="1"), batch_id="b" * 65)).batch_id is None
    bad_submit = {"type": "job_submit", "request_id": "r-1", "mode": "paint"}
    assert refused(json.dumps(bad_submit)).request_id == "r-1"


def test_guest_edits_parse_leniently_so_they_can_be_refused_as_read_only():
    message = parse('{"type": "ops", "batch_id": "b1", "ops": []}', messages=GUEST_CLIENT_MESSAGES)
    assert isinstance(message, GuestEditMessage) and message.batch_id == "b1"


def test_decode_never_raises_anything_but_protocol_errors_on_odd_numbers():
    assert decode("[1e400]") == [float("inf")]  # refused later by every number field
    with pytest.raises(protocol.ProtocolError):
        decode("1" * 10_000)  # longer than Python's int-from-text limit


def test_bad_input_log_reports_the_first_then_a_count(caplog):
    now = [0.0]
    log = BadInputLog("board x user 1", every=60.0, clock=lambda: now[0])
    with caplog.at_level("WARNING", logger="canvas.sockets"):
        for _ in range(500):
            log.note("bad_message", "The message is not valid JSON.")
        now[0] = 61.0
        log.note("bad_message", "again")
    lines = [r for r in caplog.records if r.name == "canvas.sockets"]
    assert len(lines) == 2 and all(r.levelname == "WARNING" and r.exc_info is None for r in lines)
    assert "499 more bad messages since the last report" in lines[1].getMessage()
    assert log.total == 501
