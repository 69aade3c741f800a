"""Deleting atlas sheets no board uses any more, a grace period after the last one let go.

Sheets are stored under their digest and shared: two boards with the same cells (a
duplicated board) use one file. So a sheet is deleted only when no board's current atlas
uses it (``AtlasSheetUse`` with ``released_at`` None) and no board let go of it less than
the grace period (``ANCHORBOARD_ATLAS_SHEET_GRACE_SECONDS``) ago: a page that read the old
index may still ask for the old URL, and its board's members are served it until then
(``serves``).

The bookkeeping, all through ``AtlasSheet.collect_after`` (when to look at a sheet again):

- ``touch`` before a pass writes or reuses a stored sheet: the sheet is not collected for
  a grace period, whoever used it before (a pass that crashes after writing leaves a sheet
  no board uses: it goes a grace period later);
- ``record_uses`` in the transaction that saves a board's new sheets: released sheets are
  looked at a grace period later;
- a deleted board's atlas marks its sheets the same way (``pre_delete``, run for the
  cascade from ``Board`` too);
- ``collect_due`` (after every rebuild and in every worker's upkeep) looks at the sheets
  that are due: it claims one with a conditional update, so a pass touching it at that
  moment waits for the claim's transaction and then finds the file gone (and writes it
  again) or the claim finds the touch and leaves the file. A sheet still in use is left
  alone with nothing pending; the file is deleted before the row, inside the claim, so a
  storage error keeps the row for the next sweep.

Local storage and S3 alike (assets.storage). Nothing here renders pixels or decides which
images a board's atlas holds (canvas.atlas.layout).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max, Q
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils import timezone

from assets import storage
from canvas.models import AtlasSheet, AtlasSheetUse, BoardAtlas
from foundation import config, knobs

logger = logging.getLogger(__name__)

SWEEP_LIMIT = 200  # sheets looked at per sweep; the rest wait for the next one


def grace() -> timedelta:
    return timedelta(seconds=config.read(knobs.ATLAS_SHEET_GRACE_SECONDS))


def touch(digest: str) -> None:
    """A pass is about to write or reuse the stored sheet ``digest``: keep it for a grace
    period. Call before checking storage: a collector holding the sheet's claim makes this
    wait, and its deleted row is then made again."""
    until = timezone.now() + grace()
    while True:
        AtlasSheet.objects.bulk_create(
            [AtlasSheet(digest=digest, collect_after=until)], ignore_conflicts=True
        )
        if AtlasSheet.objects.filter(pk=digest).update(collect_after=until):
            return


def record_uses(board_id: Any, digests: Iterable[str]) -> None:
    """The board's atlas now uses exactly ``digests`` (inside the transaction that saves
    them): new uses are recorded, released ones dated, and their sheets looked at later."""
    now = timezone.now()
    wanted = set(digests)
    current = set(
        AtlasSheetUse.objects.filter(atlas_id=board_id, released_at__isnull=True).values_list(
            "sheet_id", flat=True
        )
    )
    released = current - wanted
    if released:
        AtlasSheetUse.objects.filter(atlas_id=board_id, sheet_id__in=released).update(
            released_at=now
        )
        AtlasSheet.objects.filter(pk__in=released).update(collect_after=now + grace())
    fresh = wanted - current
    if fresh:
        AtlasSheet.objects.bulk_create([AtlasSheet(digest=d) for d in fresh], ignore_conflicts=True)
        AtlasSheetUse.objects.bulk_create(
            [AtlasSheetUse(atlas_id=board_id, sheet_id=d) for d in fresh], ignore_conflicts=True
        )
        AtlasSheetUse.objects.filter(atlas_id=board_id, sheet_id__in=fresh).update(released_at=None)


def serves(board_id: Any, digest: str) -> bool:
    """Whether the board's members may fetch sheet ``digest``: the board uses it, or let go
    of it less than the grace period ago."""
    return (
        AtlasSheetUse.objects.filter(atlas_id=board_id, sheet_id=digest)
        .filter(Q(released_at__isnull=True) | Q(released_at__gte=timezone.now() - grace()))
        .exists()
    )


@receiver(pre_delete, sender=BoardAtlas, dispatch_uid="atlas-sheets-of-deleted-board")
def _board_atlas_deleted(sender: type[BoardAtlas], instance: BoardAtlas, **kwargs: Any) -> None:
    AtlasSheet.objects.filter(uses__atlas_id=instance.pk).update(
        collect_after=timezone.now() + grace()
    )


def collect_due(now: datetime | None = None) -> int:
    """Delete the due sheets nothing protects; returns how many were deleted."""
    now = now or timezone.now()
    cutoff = now - grace()
    # Releases older than the grace period protect nothing any more.
    AtlasSheetUse.objects.filter(released_at__lt=cutoff).delete()
    due = list(
        AtlasSheet.objects.filter(collect_after__lte=now)
        .order_by("collect_after")
        .values_list("digest", flat=True)[:SWEEP_LIMIT]
    )
    deleted = 0
    for digest in due:
        try:
            deleted += _collect(digest, now)
        except Exception:  # storage unreachable: the row stays due, the next sweep retries
            logger.warning("atlas sheet %s could not be deleted", digest, exc_info=True)
    if deleted:
        logger.info("deleted %d atlas sheet(s) no board uses", deleted)
    return deleted


def _collect(digest: str, now: datetime) -> bool:
    with transaction.atomic():
        # The claim: a pass that touched the sheet since it was read as due wins (its
        # update moved collect_after); one touching it from now on waits for this commit.
        if not AtlasSheet.objects.filter(pk=digest, collect_after__lte=now).update(
            collect_after=None
        ):
            return False
        uses = AtlasSheetUse.objects.filter(sheet_id=digest)
        if uses.filter(released_at__isnull=True).exists():
            return False  # in use: nothing pending until a board lets go of it
        last_release = uses.aggregate(last=Max("released_at"))["last"]
        if last_release is not None:
            AtlasSheet.objects.filter(pk=digest).update(collect_after=last_release + grace())
            return False
        storage.delete(storage.atlas_key(digest))
        AtlasSheet.objects.filter(pk=digest).delete()
    return True
