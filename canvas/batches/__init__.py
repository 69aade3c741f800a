"""Batches: a named spec that expands into many governed jobs (issue 15).

This first slice holds the spec (``spec``), its expansion into job specs through the one job
spec validator (``expansion``), the per-engine estimates (``estimates``) and the dry-run
endpoint (``api``). Creating and running batches comes next (docs/batches.md).
"""
