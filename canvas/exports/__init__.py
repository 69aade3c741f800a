"""Exports: files that leave a board, made in the background and delivered by signed links.

The delivery half of issue 16 (docs/exports.md "Delivery"): the ``Export`` row, the request
check, the run (claimed with a lease, progress announced to the requester, the file
streamed to storage), recovery of exports whose worker died, the ``export.ready`` webhook,
the download links and the exports page. The files themselves are written by
``assets.exports`` (pure writers, no Django); ``kinds`` is the registry that joins the two.
"""
