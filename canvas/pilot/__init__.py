"""The built-in pilot ("stress test") of a provider (issue 17; docs/pilot.md).

A ``PilotRun`` (``models``) runs three tests through the normal job queue and export
pipeline — consistency (five variations scored by governance), latency (N jobs at a
concurrency, optionally as a burst) and export (PSD, 16-bit TIFF, ZIP, contact sheet read
back with independent readers) — and keeps a ``report`` whose shape is ``report``'s
TypedDicts. The run is a state machine advanced by the workers' upkeep and by its jobs'
ends (``machine``), never by a thread that waits. Nothing below canvas.pilot imports it.
"""
