"""Boards: the board document, its edits and its life, and the pages that show boards.

Domain (views, API and sockets call these; they never import an edge):
``lifecycle`` (create, rename, duplicate, archive, restore, delete, list), ``operations``
(a socket's batches applied; ``batch_state``: the items a run touches), ``documents``
(snapshot, catch-up: the board as clients load it), ``iterations`` (what people do with a
job's results), ``result_items`` (a result's status follows its layer), ``naming``
(titles and layer names in words), ``engine_fallbacks`` (a board's fallback chain as one
list).

Edges (HTML pages): ``board_list`` (``/`` and the actions on its cards; ``cards``: what
one card shows) and ``board_page`` (``/boards/<id>/``, the shell the canvas boots from).

The models stay in canvas.models (``boards``, ``items``, ``operations``, ``jobs``):
moving them would only churn migrations. Place in the import contract: below review and
sharing, above governance and jobs (pyproject.toml).
"""
