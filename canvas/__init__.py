"""Boards, teams, roles, items, iterations, jobs, engines and the realtime protocol."""
