"""What the assets app tells the app that owns boards, without importing it.

``asset_added`` is sent by assets.services inside the transaction that records a new
``Asset``, with ``asset=`` (its ``board`` is the caller's board object). The canvas app
connects to it in ``CanvasConfig.ready()`` (canvas.library.boards: the first asset becomes
the board's cover, the board is touched). It is sent with ``send()``, not
``send_robust()``: a receiver that raises rolls the whole upload back, and the file this
upload wrote is removed again.
"""

from __future__ import annotations

from django.dispatch import Signal

asset_added = Signal()
