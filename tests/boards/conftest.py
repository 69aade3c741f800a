"""Fixtures for the board tests, shared rather than copied.

The results tests (test_iterations.py: apply, discard, lineage of a job's results) run
jobs: they use the job queue's board, owner, image item, ``submit`` and ``job_settings``
from tests/jobs/conftest.py. The naming tests (test_naming.py) use the review tests'
``people`` (a board with one member per role) from tests/review/conftest.py. Importing the
fixtures here makes them this folder's without a second definition; neither conftest's
autouse set-up applies here (each test asks for what it needs).
"""

from tests.jobs.conftest import board, image_item, job_settings, owner, submit
from tests.review.conftest import people

__all__ = ["board", "image_item", "job_settings", "owner", "people", "submit"]
