"""The foundation: what every app may import, and which imports no app.

Errors (``errors``, ``api_errors``), the background dispatcher (``background``), API
pagination, password throttling and the pages that use it, the client's address. Modules
here may import Django and third-party libraries, never ``anchorboard`` (the composition
root), ``canvas`` or ``assets``; ``python3 dev.py lint`` checks it (import-linter).
"""
