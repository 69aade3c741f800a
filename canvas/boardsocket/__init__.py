"""The board websocket (/ws/boards/<board id>/) and what only it uses.

- ``consumer``: ``BoardConsumer``, one per open board tab, and its sync/ops/presence/ping
  handlers; parses, checks the caller's role, calls one domain function.
- ``routes``: the handler table (message type -> handler, with the permission it needs).
- ``job_requests``: the job and result handlers registered in that table.
- ``writer``: the board writer, applying sockets' batches on lanes, several per transaction.
- ``fanout``: one channel-layer subscription per board per process, frames encoded once.
- ``role_cache``: when a socket must read its role again.

An edge: domain code never imports this package (the import contracts in pyproject.toml say
so). What domain code uses to reach sockets lives below it: canvas.realtime (groups,
after-commit broadcasts) and canvas.recent_batches. The receive path it shares with the
guest socket is canvas.sockets.
"""
