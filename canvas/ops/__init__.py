"""Operations: the numbers a creative-ops lead runs the workforce by (docs/dashboard.md).

``rollups`` turns the rows the job path already writes (jobs, provider calls, results,
review decisions, consistency scores) into per-hour and per-day roll-ups on a clock;
``dashboard`` reads only those roll-ups (plus the live queue and the breakers) for the
dashboard API (``api``). Nothing below canvas.ops imports it.
"""
