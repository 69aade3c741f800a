"""Fixtures for the share-link tests: the review tests' board, people and candidates
(tests/review/conftest.py), since guests see what review produces."""

from tests.review.conftest import (  # noqa: F401 - re-exported as fixtures
    _isolated,
    candidate,
    drift_scored,
    people,
)
