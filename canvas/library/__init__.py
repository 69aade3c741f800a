"""A board's asset library at the edges: upload, list and download through the API
(``api``), the ``/files/`` routes (``views``, ``urls``), and what adding an asset does to
its board (``boards``: the first upload becomes the cover, the board is touched).

The assets app validates, stores and renders bytes and knows nothing of roles; this area
checks the caller's role on the board (canvas.permissions) and calls assets.services.
"""
