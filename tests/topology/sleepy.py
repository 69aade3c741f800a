"""A background task that only waits, for the broker-loss test (test-only).

``celery … worker -I tests.topology.sleepy`` registers ``tests.topology.sleep``: it prints
a line when it starts and when it ends, and waits ``seconds`` in between, like a job
waiting on a provider. Never imported by the application.
"""

from __future__ import annotations

import threading

from foundation.background import task


@task("tests.topology.sleep")
def sleep(label: str, seconds: float) -> None:
    print(f"sleepy {label} started", flush=True)
    threading.Event().wait(seconds)  # an interruptible wait, like a provider call
    print(f"sleepy {label} finished", flush=True)
