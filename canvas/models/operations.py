"""The board operation log: one row per committed batch, used to catch clients up.

A client that reconnects with the revision it last applied receives the batches it missed
from here instead of a full snapshot. Only the most recent batches of each board are kept
(canvas.boards.operations trims the log); this is a replay buffer, not the history of the
board, and nothing may rely on an old row still existing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class BoardOperation(models.Model):
    board = models.ForeignKey("canvas.Board", on_delete=models.CASCADE, related_name="operations")
    # The board revision this batch produced; contiguous per board while rows are kept.
    revision = models.BigIntegerField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The client's batch_id: a batch resent after a dropped connection is recognised by
    # (board, actor, batch_id) and acknowledged again instead of being applied twice.
    batch_id = models.CharField(max_length=64, blank=True, default="")
    # Normalised operations exactly as applied (asset ids, not asset payloads).
    ops = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["board", "revision"]
        constraints = [
            models.UniqueConstraint(fields=["board", "revision"], name="unique_board_revision")
        ]
        # The resend check of every writer run looks batches up by their client id; without
        # this index it read the board's whole kept log (1,000 rows) each time.
        indexes = [models.Index(fields=["board", "batch_id"], name="boardop_board_batch")]

    def __str__(self) -> str:
        return f"{self.board_id} r{self.revision}"
