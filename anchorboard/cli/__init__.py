"""The ``anchorboard`` command line: scripts and pipelines drive a server over its public API.

A client, not part of the server: it speaks HTTP to ``/api/v1/`` with httpx and a bearer token
(docs/api.md) and imports nothing of the apps, Django included, so it works against a remote
server. ``config`` (where login keeps the server and token), ``client`` (the HTTP calls and
the API's error shape), ``specs`` (YAML/JSON batch specs), ``exports`` (asking for an export
and following it), ``results`` (a batch's results as rows, CSV and file names), ``main``
(the Typer commands).
"""
