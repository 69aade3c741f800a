"""The durable job queue: submit, claim, run, recover. See docs/jobs.md.

- ``queue``     – every change of a queued job's state (submit, claim, cancel, retry, move,
                  pause) and the after-commit broadcast of it.
- ``runner``    – runs one claimed job: composite, engine, results, final state.
- ``progress``  – the object a running job reports through (progress, previews, lease,
                  cancellation); owns the channel-layer calls.
- ``workers``   – the embedded worker pool and the loop ``manage.py run_workers`` runs.
- ``recovery``  – puts jobs whose worker died back in the queue.
- ``tasks``     – the background tasks ("canvas.jobs.wake", "canvas.jobs.work").
"""
