"""Where each exported image came from, for the package manifest: the job that made it
(engine, model, prompt, negative prompt, seed), the batch that job belongs to (its name)
and the batch's variable values for it, its anchors by role with their files' SHA-256,
the brand kit version, the latest drift scores and the review decision.

Read in a few queries for the whole selection (results by asset, anchors' blobs, scores,
decisions); an upload that no job made gets a record with the asset and the board only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from assets.exports.manifest import AnchorRef, DecisionRef, Provenance
from assets.models import Asset
from canvas.governance.readings import consistency_by_asset
from canvas.members.services import display_name
from canvas.models import Item, Iteration
from canvas.models.review import Decision

if TYPE_CHECKING:
    from canvas.exports.formats.sources import Picture


def _kit_version(value: Any) -> int | None:
    if isinstance(value, dict) and isinstance(value.get("version"), int):
        return value["version"]
    return None


def _result_asset(item: Any) -> Any:
    return getattr(item, "result_asset_id", None) or item.asset_id


def provenance_by_asset(
    board: Any, items: Sequence[Picture], frame: Any = None
) -> dict[Any, Provenance]:
    # A clip's provenance is its poster's result (canvas.exports.formats.clips).
    asset_ids = [_result_asset(item) for item in items if item.asset_id]
    results: dict[Any, Iteration] = {}
    for it in (
        Iteration.objects.filter(asset_id__in=asset_ids)
        .select_related("job__batch")
        .order_by("created_at", "index")
    ):
        results[it.asset_id] = it  # the latest result that is this file
    anchor_assets = {
        str(a["asset_id"])
        for it in results.values()
        for a in (it.provenance or {}).get("anchors", [])
        if a.get("asset_id")
    }
    anchor_items = {
        str(a["item_id"])
        for it in results.values()
        for a in (it.provenance or {}).get("anchors", [])
        if a.get("item_id")
    }
    blobs = {
        str(pk): sha
        for pk, sha in Asset.objects.filter(pk__in=anchor_assets).values_list("pk", "blob_id")
    }
    names = {
        str(pk): name
        for pk, name in Item.objects.filter(pk__in=anchor_items).values_list("pk", "name")
    }
    scores = consistency_by_asset(asset_ids)
    decisions = {
        d.iteration_id: d
        for d in Decision.objects.filter(iteration__in=[it.pk for it in results.values()])
        .exclude(status="")
        .select_related("decided_by")
    }
    out: dict[Any, Provenance] = {}
    for item in items:
        found = results.get(_result_asset(item))
        consistency = scores.get(_result_asset(item))
        drift = dict((consistency or {}).get("scores") or {})
        base: dict[str, Any] = {
            "asset": str(item.asset_id),
            "board": str(board.pk),
            "frame": str(frame.pk) if frame is not None else None,
            "drift_scores": drift,
        }
        if found is None:
            out[item.asset_id] = Provenance(**base)
            continue
        it = found
        p = it.provenance or {}
        anchors = [
            AnchorRef(
                role=str(a.get("role") or ""),
                name=names.get(str(a.get("item_id")), "")
                or ("brand kit reference" if a.get("kit_reference") else ""),
                sha256=blobs.get(str(a.get("asset_id")), "") or str(a.get("blob") or ""),
            )
            for a in p.get("anchors", [])
            if blobs.get(str(a.get("asset_id"))) or a.get("blob")
        ]
        decision = decisions.get(it.pk)
        refs = []
        if decision is not None:
            by = (
                display_name(decision.decided_by)
                if decision.decided_by
                else (decision.guest_name or "Guest")
            )
            refs.append(
                DecisionRef(decision.status, by, decision.decided_at.isoformat(), decision.reason)
            )
        out[item.asset_id] = Provenance(
            **base,
            batch=it.job.batch.name if it.job.batch is not None else None,
            variables={str(k): str(v) for k, v in (it.job.spec.get("variables") or {}).items()}
            if it.job.batch is not None
            else {},
            job=str(it.job_id),
            engine=p.get("engine") or None,
            model=p.get("model") or None,
            prompt=p.get("prompt") or "",
            negative_prompt=p.get("negative_prompt") or "",
            seed=it.seed if it.seed is not None else p.get("seed"),
            anchors=anchors,
            brand_kit_version=_kit_version(p.get("brand_kit")),
            decisions=refs,
        )
    return out
