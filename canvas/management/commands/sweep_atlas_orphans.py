"""``manage.py sweep_atlas_orphans``: find atlas sheet files no record knows, now.

The workers' upkeep does the same a page per tick (canvas.atlas.orphans); this runs a
whole round at once — after upgrading a deployment older than migration canvas 0024, or
to see what the sweep would do (``--dry-run``) — then has the collector delete the sheets
that are due (canvas.atlas.collection).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from assets.storage import ATLAS_PREFIX
from canvas.atlas import collection, orphans
from canvas.models import AtlasSheet


class Command(BaseCommand):
    help = "Hand atlas sheet files no record knows to the collector, and collect due sheets."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only count what would be recorded, handed over and deleted.",
        )

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        found = orphans.sweep_all(dry_run=dry_run)
        verb = "would be" if dry_run else "were"
        self.stdout.write(
            f"{found.files} file(s) under {ATLAS_PREFIX}: "
            f"{found.known} known to the collector, {found.young} too recent to judge, "
            f"{found.other} not sheets."
        )
        self.stdout.write(
            f"{found.recorded} live sheet(s) without a record {verb} recorded; "
            f"{found.handed} unused sheet(s) {verb} handed to the collector "
            f"({found.due} due now); {found.partials} dead temporary file(s) {verb} deleted."
        )
        if dry_run:
            return
        deleted, left = 0, -1
        while True:
            due = AtlasSheet.objects.filter(collect_after__lte=timezone.now()).count()
            if due in (0, left):  # none due, or a storage error kept them: logged
                break
            left = due
            deleted += collection.collect_due()
        self.stdout.write(f"{deleted} sheet(s) deleted by the collector.")
