"""What a guest sees through a live link: the board's visible items, candidates with their
public verdicts (and drift flags when the link shares decisions), files it may fetch.
Callers have checked the link (canvas.sharing.auth);
what a link shows is decided by canvas.permissions. Nothing here writes.
"""

from __future__ import annotations

import logging
from typing import Any

from assets.models import Asset
from assets.presenters import canvas_asset
from canvas import protocol
from canvas.boards import naming
from canvas.boards.documents import item_payload
from canvas.governance import readings
from canvas.models import Board, ItemKind, Iteration
from canvas.models.review import Decision, DecisionEvent
from canvas.models.sharing import (
    LinkPermission,
    ShareLink,
    ShareVisibility,
)
from canvas.permissions import clip_mp4_id, link_asset_ids, link_items, link_iterations
from canvas.review.payloads import decision_payload, guest_event_payload

logger = logging.getLogger(__name__)


def guest_file_url(token: str, asset: Asset, what: str) -> str:
    return f"/s/{token}/files/{asset.pk}/{what}"


def guest_asset(token: str, asset: Asset, *, download: bool = True) -> dict[str, Any]:
    """The protocol's AssetData with guest URLs (the team's /files/ URLs would 404).

    ``original_url`` is what the canvas draws at full size and what Download fetches:
    without the download permission it is the full-size view (re-rendered pixels, no
    metadata) instead of the original file, which would be refused.
    """
    return canvas_asset(
        asset,
        original=guest_file_url(token, asset, "original" if download else "view.webp"),
        levels=guest_file_url(token, asset, "{level}.webp"),
    )


def guest_clip_url(token: str, asset_id: Any) -> str:
    return f"/s/{token}/files/{asset_id}/clip.mp4"


def guest_video(link: ShareLink, token: str, video: dict[str, Any]) -> dict[str, Any]:
    """A video item's ``props.video`` as a guest gets it: the clip at its guest URL (no
    metadata, HTTP Range), no provider's original, and the drift curve only when the link
    shares the team's decisions (the same rule as drift flags on candidates; otherwise the
    ``drift`` key is left out, so the player does not claim the clip was never measured)."""
    out = {key: video.get(key) for key in ("duration", "fps", "frame_count", "width", "height")}
    mp4_id = clip_mp4_id(video)
    out["mp4"] = (
        {"asset": str(mp4_id), "url": guest_clip_url(token, mp4_id), "mime": "video/mp4"}
        if mp4_id
        else None
    )
    out["original"] = None
    if link.show_decisions:  # else no key at all: the player says nothing about drift
        out["drift"] = video.get("drift")
    return out


def guest_clip(token: str, iteration: Iteration) -> dict[str, Any] | None:
    """A video result's clip for the guest's review grid (as ``candidate.clip`` for members)."""
    video = (iteration.provenance or {}).get("video") or {}
    mp4_id = clip_mp4_id(video)
    if mp4_id is None:
        return None
    return {
        "url": guest_clip_url(token, mp4_id),
        "mime": "video/mp4",
        "duration": video.get("duration"),
    }


def guest_items(link: ShareLink, token: str) -> list[dict[str, Any]]:
    """The layers a link shows, locked, with guest file URLs and display names.

    Names come from canvas.boards.naming: a layer named after its uploaded file (or not
    named) is "Image 1" unless the link shows metadata, and result layers read "Result 2
    of Hero shot" — never "Image" for everything, never a file name or a prompt.
    """
    items = link_items(link)
    namer = naming.guest_namer(link, items)
    download = LinkPermission.DOWNLOAD in link.permissions
    out = []
    for item in items:
        data = dict(item_payload(item))
        data["asset"] = guest_asset(token, item.asset, download=download) if item.asset_id else None
        data["locked"] = True
        data["name"] = namer.name(item)
        if item.kind == ItemKind.VIDEO:
            props = dict(data.get("props") or {})
            props["video"] = guest_video(link, token, props.get("video") or {})
            data["props"] = props
        out.append(data)
    return out


def guest_candidate(
    link: ShareLink,
    token: str,
    iteration: Iteration,
    verdicts: dict[Any, Any] | None = None,
    consistency: dict[Any, Any] | None = None,
) -> dict[str, Any]:
    """A candidate as the guest sees it; ``verdicts`` are ``guest_verdicts(link)``,
    ``consistency`` is ``guest_consistency(link)`` (drift flags, only with the team's
    decisions)."""
    download = LinkPermission.DOWNLOAD in link.permissions
    data: dict[str, Any] = {
        "id": str(iteration.pk),
        "number": iteration.index + 1,
        "region": iteration.region,
        "asset": guest_asset(token, iteration.asset, download=download),
        "status": iteration.status,
        "created_at": iteration.created_at,
        "decision": None,
        "clip": guest_clip(token, iteration),
    }
    if link.visibility == ShareVisibility.ALL_CANDIDATES and iteration.source_asset is not None:
        data["source_asset"] = guest_asset(token, iteration.source_asset, download=download)
    if link.show_metadata:
        data["provenance"] = iteration.provenance
        data["seed"] = iteration.seed
    if verdicts is None:
        verdicts = guest_verdicts(link, [iteration])
    data["decision"] = verdicts.get(iteration.pk)
    if link.show_decisions:
        if consistency is None:
            consistency = guest_consistency(link, [iteration])
        data["consistency"] = consistency.get(iteration.asset_id)
    return data


def guest_consistency(link: ShareLink, iterations: list[Iteration]) -> dict[Any, Any]:
    """Drift flags and scores a link's guests see, by asset id: the team's assessment, so
    only when the link shares the team's decisions; otherwise none (not even "scored")."""
    if not link.show_decisions:
        return {}
    return readings.consistency_by_asset(it.asset_id for it in iterations)


def link_shows_decision(link: ShareLink, decided_via: Any) -> bool:
    """Whether a decision made through link ``decided_via`` (None: by the team) reaches
    this link's guests (the candidate must be shown too; the caller checks that)."""
    if link.show_decisions:
        return True
    return LinkPermission.APPROVE in link.permissions and str(decided_via) == str(link.pk)


def guest_verdicts(link: ShareLink, iterations: list[Iteration]) -> dict[Any, dict[str, Any]]:
    """The verdict a guest sees on each candidate, by iteration id.

    The team's decisions are internal: a link shows them only with ``show_decisions``.
    Without it, a link that lets the client approve shows the client's own latest verdict
    (made through this link), so their choice stays visible even after the team changes
    the decision; anything else shows none.
    """
    ids = [it.pk for it in iterations]
    if link.show_decisions:
        rows = Decision.objects.filter(iteration_id__in=ids).select_related("decided_by")
        return {d.iteration_id: decision_payload(d, public=True) for d in rows}
    if LinkPermission.APPROVE not in link.permissions:
        return {}
    latest: dict[Any, dict[str, Any]] = {}
    events = DecisionEvent.objects.filter(iteration_id__in=ids, decided_by_link=link)
    for event in events.order_by("at", "pk"):
        latest[event.iteration_id] = guest_event_payload(event)
    return latest


def guest_snapshot(link: ShareLink, token: str) -> dict[str, Any]:
    """What a guest's page draws: the board's visible items and the candidates it shows."""
    candidates = link_iterations(link)
    verdicts = guest_verdicts(link, candidates)
    consistency = guest_consistency(link, candidates)
    return protocol.guest_snapshot(
        Board.objects.filter(pk=link.board_id).values_list("revision", flat=True).get(),
        guest_items(link, token),
        [guest_candidate(link, token, it, verdicts, consistency) for it in candidates],
    )


def guest_can_fetch(link: ShareLink, asset_id: Any) -> bool:
    return asset_id in link_asset_ids(link)
