"""Export writers: files for Photoshop, editors, clients and archives, from plain data.

Each module turns plain values (PIL images, NumPy arrays, dataclasses describing layers,
records and metadata) into bytes on a binary stream. No Django models, no storage keys, no
permissions, and never an import of ``canvas``: the export jobs and the API (which know
boards, items and who may see what) gather the data and call these functions. The
guarantees and limits of every writer are in docs/exports.md.
"""
