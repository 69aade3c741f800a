"""What a new asset does to its board: the first one becomes the cover; the board is touched.

Connected to ``assets.signals.asset_added`` when the canvas app is ready, so it runs inside
the transaction that records the asset: if it fails, the upload is rolled back.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from assets.models import Asset
from assets.signals import asset_added
from canvas.boards.lifecycle import touch
from canvas.models import Board


@receiver(asset_added, sender=Asset, dispatch_uid="canvas.library.boards.asset_added")
def asset_added_to_board(sender: type[Asset], asset: Asset, **kwargs: Any) -> None:
    board = asset.board
    # Conditional update: two first uploads racing must not both claim the cover.
    if board.cover_id is None and Board.objects.filter(pk=board.pk, cover__isnull=True).update(
        cover=asset
    ):
        board.cover = asset
    touch(board)
