"""The CLI's tests reuse the batch tests' board (an image under REGION, test engines)."""

from tests.batches.conftest import board, owner, trailing_sends  # noqa: F401
