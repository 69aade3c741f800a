"""Signals of governance, for the rooms above it (review acts on flags; governance must not
import it).

``results_scored``: images of a board were scored or re-scored against its anchors and the
rows are stored. Arguments: ``board`` (the Board), ``asset_ids`` (the images checked),
``landed`` (True when the check is the one that runs as a job's results land — the only one
the board's drift triage acts on). Sent by canvas.governance.services.check after its rows
are written (inside the caller's transaction, if any: receivers defer what they send with
``transaction.on_commit``).

``readings_changed``: these images' readings changed without a new check — they became
stale because the board's anchors changed, or current again (canvas.governance.rescore).
Arguments: ``board``, ``asset_ids``.
"""

from __future__ import annotations

from django.dispatch import Signal

results_scored = Signal()
readings_changed = Signal()
