"""Sheet files in storage that no record knows: handed to the collector, or kept if live.

The collector (canvas.atlas.collection) deletes only sheets it has an ``AtlasSheet`` row
for. Sheets written before migration canvas 0024 and no longer used on that day got no
row, so nothing would ever delete them. This sweep walks the files under the atlas prefix
a page at a time (``assets.storage.list_files``: on S3 one listing request per 1,000
keys, modified times included) and, for each sheet file without a row:

- if a board's current atlas names it (only a process older than 0024 can have left
  that, e.g. during a rolling deploy), its use is recorded: the collector then keeps it
  like any other sheet in use;
- else, once its modified time is a grace period old (``ANCHORBOARD_ATLAS_SHEET_GRACE_
  SECONDS``), it gets a row due now, and the collector deletes it with its usual claim —
  so a pass that starts reusing the file at that moment keeps it (``collection.touch``
  wins over the claim). A younger file is left for a later round; where storage gives no
  modified time, the row is due a grace period after the sweep first saw the file.

Files the collector knows are left to it. A local write's temporary file (``.partial-…``,
left only by a process that died mid-write) older than the grace period is deleted.

Every worker process runs one page per upkeep tick (canvas.jobs.upkeep), a round over
all the files every ``ROUND_SECONDS``; ``manage.py sweep_atlas_orphans`` runs a whole
round at once for an operator. Nothing here renders or decides a board's sheets.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from assets import storage
from canvas.atlas.collection import grace
from canvas.models import AtlasSheet, AtlasSheetUse, BoardAtlas

logger = logging.getLogger(__name__)

PAGE_SIZE = 1000  # files looked at per page (one upkeep tick)
ROUND_SECONDS = 6 * 3600.0  # from the end of one upkeep round to the start of the next


@dataclass
class Sweep:
    """What a sweep found: ``files`` under the prefix; ``known`` to the collector;
    ``recorded``: live sheets whose use was recorded; ``handed``: rows made for the
    collector (``due``: of them, due at once); ``young``: left for a later round;
    ``partials``: dead writes' temporary files deleted; ``other``: anything else."""

    files: int = 0
    known: int = 0
    recorded: int = 0
    handed: int = 0
    due: int = 0
    young: int = 0
    partials: int = 0
    other: int = 0
    last_key: str = field(default="", repr=False)

    def add(self, other: Sweep) -> None:
        """Count ``other`` (the next page) in; its last key is where a round now stands."""
        for counted in fields(self):
            if counted.name != "last_key":
                setattr(
                    self, counted.name, getattr(self, counted.name) + getattr(other, counted.name)
                )
        self.last_key = other.last_key


def sweep_page(
    start_after: str = "", *, now: datetime | None = None, dry_run: bool = False
) -> tuple[Sweep, bool]:
    """Look at the next ``PAGE_SIZE`` files after ``start_after``; returns what was found
    (``last_key``: where the next page starts) and whether the listing ended."""
    now = now or timezone.now()
    cutoff = now - grace()
    files = storage.list_files(storage.ATLAS_PREFIX, start_after=start_after, limit=PAGE_SIZE)
    found = Sweep(files=len(files), last_key=files[-1].key if files else start_after)
    sheets: dict[str, datetime | None] = {}
    for stored in files:
        digest = storage.atlas_digest(stored.key)
        if digest is not None:
            sheets[digest] = stored.modified
        elif storage.is_partial(stored.key) and stored.modified and stored.modified < cutoff:
            found.partials += 1
            if not dry_run:
                storage.delete_quietly(stored.key)
        else:
            found.other += 1
    known = set(AtlasSheet.objects.filter(pk__in=list(sheets)).values_list("pk", flat=True))
    found.known = len(known)
    unknown = {d: modified for d, modified in sheets.items() if d not in known}
    old = [d for d, modified in unknown.items() if modified is None or modified < cutoff]
    found.young = len(unknown) - len(old)
    live = named_by_boards(old)
    found.recorded = len(live)
    orphans = {d: unknown[d] for d in old if d not in live}
    found.handed = len(orphans)
    found.due = sum(1 for modified in orphans.values() if modified is not None)
    if not dry_run:
        _record_live(live)
        # A row made concurrently by a pass (``touch``, collect_after ahead) wins.
        AtlasSheet.objects.bulk_create(
            [
                AtlasSheet(digest=d, collect_after=now if modified else now + grace())
                for d, modified in orphans.items()
            ],
            ignore_conflicts=True,
        )
    return found, len(files) < PAGE_SIZE


def sweep_all(*, now: datetime | None = None, dry_run: bool = False) -> Sweep:
    """A whole round, page by page (the operators' command)."""
    total = Sweep()
    marker, ended = "", False
    while not ended:
        page, ended = sweep_page(marker, now=now, dry_run=dry_run)
        total.add(page)
        marker = page.last_key
    return total


def named_by_boards(digests: Iterable[str]) -> dict[str, list[Any]]:
    """Which of ``digests`` a board's current atlas names: digest → board ids. One
    statement over the board atlases' sheet lists, in the database."""
    wanted = sorted(set(digests))
    if not wanted:
        return {}
    table = connection.ops.quote_name(BoardAtlas._meta.db_table)
    key = connection.ops.quote_name(BoardAtlas._meta.get_field("board").column)
    sheets = connection.ops.quote_name("sheets")
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT a.{key}, s.value ->> 'digest' FROM {table} a CROSS JOIN LATERAL "  # noqa: S608
            f"jsonb_array_elements(CASE WHEN jsonb_typeof(a.{sheets}) = 'array' "
            f"THEN a.{sheets} ELSE '[]'::jsonb END) s(value) "
            "WHERE s.value ->> 'digest' = ANY(%s)"
        )
        params: list[Any] = [wanted]
    else:
        marks = ", ".join(["%s"] * len(wanted))
        sql = (
            f"SELECT a.{key}, json_extract(s.value, '$.digest') FROM {table} a, "  # noqa: S608
            f"json_each(a.{sheets}) s WHERE json_type(a.{sheets}) = 'array' "
            f"AND json_extract(s.value, '$.digest') IN ({marks})"
        )
        params = wanted
    # Only quoted names from the model and placeholders are put into the text.
    named: dict[str, list[Any]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for board_id, digest in cursor.fetchall():
            named.setdefault(digest, []).append(board_id)
    return named


def _record_live(live: dict[str, list[Any]]) -> None:
    if not live:
        return
    with transaction.atomic():
        AtlasSheet.objects.bulk_create([AtlasSheet(digest=d) for d in live], ignore_conflicts=True)
        AtlasSheetUse.objects.bulk_create(
            [AtlasSheetUse(atlas_id=b, sheet_id=d) for d, boards in live.items() for b in boards],
            ignore_conflicts=True,
        )
    logger.warning("recorded %d live atlas sheet(s) no use was recorded for", len(live))


class _Rounds:
    """This process's round over the files: where the next page starts, and when the next
    round may begin."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.marker = ""
        self.next_round = 0.0  # time.monotonic(); the first tick starts a round

    def step(self) -> Sweep | None:
        with self.lock:
            if not self.marker and time.monotonic() < self.next_round:
                return None
            page, ended = sweep_page(self.marker)
            self.marker = "" if ended else page.last_key
            if ended:
                self.next_round = time.monotonic() + ROUND_SECONDS
        if page.handed or page.recorded or page.partials:
            logger.info(
                "atlas files without a record: %d handed to the collector, %d live recorded, "
                "%d dead temporary files deleted",
                page.handed,
                page.recorded,
                page.partials,
            )
        return page


_rounds = _Rounds()


def upkeep_step() -> Sweep | None:
    """One page of this process's round (every upkeep tick; None between rounds)."""
    return _rounds.step()
