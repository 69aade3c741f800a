"""Command-line helper for the provider-slot test: seeds jobs and reports their states.

Runs in its own process against the file database named by ANCHORBOARD_DATA_DIR:
``python -m tests.jobs.slots_helper seed N`` queues N ``test-counted`` jobs;
``python -m tests.jobs.slots_helper states`` prints the jobs' states as JSON.
"""

from __future__ import annotations

import json
import os
import sys


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anchorboard.settings")
    import django

    django.setup()
    import tests.jobs.engines  # noqa: F401  (registers test-counted)
    from canvas.models import Item, ItemKind, Job

    if argv[0] == "seed":
        from assets.services import ingest_bytes
        from canvas.jobs.queue import submit_job
        from tests import factories

        owner = factories.make_user("slots-owner")
        board = factories.make_board(owner=owner)
        asset = ingest_bytes(board, owner, factories.png_bytes((40, 30)), "layer.png")
        Item.objects.create(board=board, kind=ItemKind.IMAGE, asset=asset, width=40, height=30)
        region = {"x": 0, "y": 0, "width": 40, "height": 30}
        for seed in range(int(argv[1])):
            spec = {"mode": "img2img", "engine": "test-counted", "region": region, "seed": seed}
            submit_job(board, owner, spec, priority="bulk")
    elif argv[0] == "states":
        print(json.dumps(sorted(Job.objects.values_list("state", flat=True))))


if __name__ == "__main__":
    main(sys.argv[1:])
