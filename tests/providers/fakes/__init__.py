"""Fake provider servers: real HTTP on 127.0.0.1, the providers' wire formats, scriptable.

Each fake validates requests the way the real service does and answers with a scripted
behaviour per request (``server.script(...)``), or with random failures for fault
injection (``server.chaos(...)``). Tests point the real clients at ``server.url``.
"""
