"""Seed a topology database from its own process, with the deployment's environment.

``python -m tests.topology.seed <username> [<image edge>]`` creates a user who owns a board
with one image layer and prints ``{"username", "password", "board", "region"}`` as JSON.
``python -m tests.topology.seed --submit <board> <count> [<engine>]`` queues ``count`` jobs
of a test engine (default ``topology-sleep``) on that board (as its owner, through
``submit_job``: the Celery dispatcher sends one message per job after commit) and prints
how many were queued.
"""

from __future__ import annotations

import json
import os
import sys


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anchorboard.settings")
    import django

    django.setup()
    from assets.services import ingest_bytes
    from canvas.models import Item, ItemKind
    from tests import factories

    if argv[0] == "--submit":
        submit(argv[1], int(argv[2]), argv[3] if len(argv) > 3 else "topology-sleep")
        return
    username = argv[0]
    edge = int(argv[1]) if len(argv) > 1 else 32
    owner = factories.make_user(username)
    board = factories.make_board(owner=owner, name=f"Topology {username}")
    asset = ingest_bytes(
        board, owner, factories.png_bytes((edge, edge), (40, 160, 90)), "layer.png"
    )
    Item.objects.create(
        board=board, kind=ItemKind.IMAGE, asset=asset, width=edge, height=edge, created_by=owner
    )
    region = {"x": 0, "y": 0, "width": edge, "height": edge}
    print(
        json.dumps(
            {
                "username": username,
                "password": factories.PASSWORD,
                "board": str(board.pk),
                "region": region,
            }
        )
    )


def submit(board_id: str, count: int, engine: str = "topology-sleep") -> None:
    import tests.topology.engines  # noqa: F401  (registers topology-sleep)
    from canvas.jobs.queue import submit_job
    from canvas.models import Board, BoardMember

    board = Board.objects.get(pk=board_id)
    owner = BoardMember.objects.select_related("user").filter(board=board).first().user
    item = board.items.filter(deleted=False).first()
    region = {"x": 0, "y": 0, "width": item.width, "height": item.height}
    for n in range(count):
        submit_job(
            board,
            owner,
            {"mode": "img2img", "engine": engine, "region": region, "seed": n},
        )
    print(count)


if __name__ == "__main__":
    main(sys.argv[1:])
