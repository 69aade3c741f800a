"""Command-line helper for the restart test: seeds a job and reports its state.

Runs in its own process against the file database named by ANCHORBOARD_DATA_DIR:
``python -m tests.jobs.restart_helper seed`` prints a job id;
``python -m tests.jobs.restart_helper state <job id>`` prints the job as JSON.
"""

from __future__ import annotations

import json
import os
import sys


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anchorboard.settings")
    import django

    django.setup()
    import tests.jobs.engines  # noqa: F401  (registers test-slow)
    from canvas.models import Item, ItemKind, Job

    if argv[0] == "seed":
        from assets.services import ingest_bytes
        from canvas.jobs.queue import submit_job
        from tests import factories

        owner = factories.make_user("restart-owner")
        board = factories.make_board(owner=owner)
        asset = ingest_bytes(board, owner, factories.png_bytes((40, 30)), "layer.png")
        Item.objects.create(board=board, kind=ItemKind.IMAGE, asset=asset, width=40, height=30)
        region = {"x": 0, "y": 0, "width": 40, "height": 30}
        job = submit_job(board, owner, {"mode": "img2img", "engine": "test-slow", "region": region})
        print(job.pk)
    elif argv[0] == "state":
        job = Job.objects.get(pk=argv[1])
        print(
            json.dumps(
                {
                    "state": job.state,
                    "attempts": job.attempts,
                    "notes": [note["text"] for note in job.notes],
                    "iterations": job.iterations.count(),
                    "worker_id": job.worker_id,
                }
            )
        )


if __name__ == "__main__":
    main(sys.argv[1:])
