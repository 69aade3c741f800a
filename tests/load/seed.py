"""Seed a board for a load run, from its own process, with the server's environment.

``python -m tests.load.seed <editors> <viewers> <items>`` creates an owner, ``editors``
editor accounts and ``viewers`` viewer accounts on one board with ``items`` frames (created
through ``apply_batch``, so the board starts at revision 1 with a logged batch), logs each
account in once and prints one line ``SEED{json}``:
``{"board", "revision", "owner": cookie, "editors": [cookie…], "viewers": [cookie…],
"items": [id…]}``.

Sessions live in the database, so the cookies work on every web process sharing it (the
process must run with the servers' DJANGO_SECRET_KEY, as the session hash is keyed by it).
"""

from __future__ import annotations

import json
import os
import sys
import uuid


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anchorboard.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.test import Client

    from canvas import protocol
    from canvas.boards.operations import apply_batch
    from canvas.models import BoardMember, Role
    from tests import factories

    editors, viewers, items = (int(value) for value in argv[:3])
    tag = uuid.uuid4().hex[:6]
    users = get_user_model().objects
    password = make_password(factories.PASSWORD)  # hashed once, not once per account
    owner = users.create(username=f"load-{tag}-owner", password=password)
    board = factories.make_board(name=f"Load {tag}", owner=owner)
    accounts: dict[str, list] = {"editors": [], "viewers": []}
    for kind, count, role in (("editors", editors, Role.EDITOR), ("viewers", viewers, Role.VIEWER)):
        for index in range(count):
            user = users.create(username=f"load-{tag}-{kind[0]}{index}", password=password)
            BoardMember.objects.create(board=board, user=user, role=role)
            accounts[kind].append(user)

    ids = [str(uuid.uuid4()) for _ in range(items)]
    ops = [
        protocol.parse_operation(
            {
                "op": "create",
                "item": {
                    "id": item_id,
                    "kind": "frame",
                    "name": f"frame {index}",
                    "x": (index % 20) * 300,
                    "y": (index // 20) * 300,
                    "width": 256,
                    "height": 192,
                    "z": index,
                },
            }
        )
        for index, item_id in enumerate(ids)
    ]
    revision = apply_batch(board.pk, owner, ops)[0] if ops else 0

    def cookie(user) -> str:
        client = Client()
        client.force_login(user)
        return client.cookies["sessionid"].value

    print(
        "SEED"
        + json.dumps(
            {
                "board": str(board.pk),
                "revision": revision,
                "owner": cookie(owner),
                "editors": [cookie(user) for user in accounts["editors"]],
                "viewers": [cookie(user) for user in accounts["viewers"]],
                "items": ids,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
