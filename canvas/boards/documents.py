"""The board document as clients see it: item payloads, snapshots and catch-up batches.

Everything a client loads (``snapshot``) or replays (``catchup``, live ``applied``) is
shaped here, so "old state + missed operations == fresh load" holds by construction: the
operation log stores asset *ids* and this module expands them to the same asset payload a
snapshot would show. This module reads; it never changes the board (see
canvas.boards.operations for that).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from assets.models import Asset
from assets.presenters import canvas_asset
from canvas import protocol
from canvas.members.services import display_name
from canvas.models import Board, BoardOperation, Item
from foundation import config, knobs


def operation_log_size() -> int:
    """How many committed batches per board are kept for catch-up; older clients get a
    snapshot."""
    return config.read(knobs.OPERATION_LOG_SIZE)


def actor_ref(user: Any) -> protocol.Wire:
    return protocol.user_ref(getattr(user, "pk", None), display_name(user))


def asset_payload(asset: Any) -> protocol.Wire | None:
    return canvas_asset(asset) if asset is not None else None


def item_payload(item: Item) -> protocol.Wire:
    """One item exactly as docs/protocol.md's ItemData."""
    return {
        "id": str(item.pk),
        "kind": item.kind,
        "name": item.name,
        "asset": asset_payload(item.asset) if item.asset_id else None,
        **item.placement(),
        "hidden": item.hidden,
        "locked": item.locked,
        "anchor_role": item.anchor_role,
        "props": item.props,
        "revision": item.revision,
    }


def live_items(board: Board) -> list[Item]:
    return list(
        Item.objects.filter(board=board, deleted=False)
        .select_related("asset__blob")
        .order_by("z", "id")
    )


def current_revision(board: Board) -> int:
    """The board's revision as committed now (``board`` may be an older copy)."""
    return Board.objects.filter(pk=board.pk).values_list("revision", flat=True).get()


def snapshot(board: Board) -> protocol.Wire:
    """The board's live items, ascending z, at the board's current revision."""
    revision = current_revision(board)
    return protocol.snapshot(revision, [item_payload(item) for item in live_items(board)])


def present_ops(ops: list[dict[str, Any]], assets: dict[str, Any]) -> list[dict[str, Any]]:
    """Operations as clients receive them: a create's asset id becomes the asset payload."""
    presented = []
    for op in ops:
        if op["op"] == "create" and op["item"].get("asset"):
            asset = assets.get(op["item"]["asset"])
            op = {**op, "item": {**op["item"], "asset": asset_payload(asset)}}
        presented.append(op)
    return presented


def _assets_for(ops_lists: Iterable[list[dict[str, Any]]]) -> dict[str, Any]:
    ids = {
        op["item"]["asset"]
        for ops in ops_lists
        for op in ops
        if op["op"] == "create" and op["item"].get("asset")
    }
    if not ids:
        return {}
    return {str(a.pk): a for a in Asset.objects.filter(pk__in=ids).select_related("blob")}


def present_batches(
    batches: list[tuple[int, Any, list[dict[str, Any]]]],
) -> list[protocol.Wire]:
    """Batches as clients receive them, from (revision, actor, ops as logged): one query."""
    assets = _assets_for(ops for _, _, ops in batches)
    return [
        protocol.applied_batch(revision, actor_ref(actor), present_ops(ops, assets))
        for revision, actor, ops in batches
    ]


def batches_between(board: Board, after: int, upto: int) -> list[protocol.Wire]:
    """Logged batches with ``after < revision <= upto``, oldest first (holes if trimmed)."""
    return [batch for batch, _ in logged_batches_between(board, after, upto)]


def logged_batches_between(board: Board, after: int, upto: int) -> list[tuple[protocol.Wire, str]]:
    """``batches_between`` with each batch's client ``batch_id`` (its sender acknowledges
    it rather than being sent it)."""
    rows = list(
        BoardOperation.objects.filter(board=board, revision__gt=after, revision__lte=upto)
        .select_related("actor")
        .order_by("revision")
    )
    assets = _assets_for(row.ops for row in rows)
    return [
        (
            protocol.applied_batch(
                row.revision, actor_ref(row.actor), present_ops(row.ops, assets)
            ),
            row.batch_id,
        )
        for row in rows
    ]


def catchup(board: Board, since: int) -> protocol.Wire | None:
    """The batches a client at revision ``since`` missed, or None when it needs a snapshot.

    None means the log no longer reaches back to ``since`` (or ``since`` is from the future,
    e.g. the board was restored from a backup).
    """
    current = current_revision(board)
    if since > current:
        return None
    batches = batches_between(board, since, current)
    if len(batches) != current - since or (batches and batches[0]["revision"] != since + 1):
        return None
    return protocol.catchup(since, current, batches)


def sync_reply(board: Board, since: int | None) -> protocol.Wire:
    """What to send a client that says it has applied everything up to ``since``."""
    if since is not None:
        reply = catchup(board, since)
        if reply is not None:
            return reply
    return snapshot(board)
