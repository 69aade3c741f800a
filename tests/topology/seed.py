"""Seed a topology database: ``python -m tests.topology.seed <username> [<image edge>]``.

Runs in its own process with the deployment's environment (PostgreSQL, S3, Celery
dispatcher), creates a user who owns a board with one image layer, and prints
``{"username", "password", "board", "region"}`` as JSON on the last line.
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


if __name__ == "__main__":
    main(sys.argv[1:])
