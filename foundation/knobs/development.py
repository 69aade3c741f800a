"""Knobs: development and tests."""

from __future__ import annotations

from foundation.config import FLAG, TEXT, WHOLE
from foundation.knobs.registry import DEVELOPMENT, declare

# --- Development and tests --------------------------------------------------------------------

PORT = declare(
    "PORT", WHOLE, 8000, "listening port of `dev.py start` and `manage.py serve`", DEVELOPMENT
)
CHROMIUM = declare(
    "ANCHORBOARD_CHROMIUM", TEXT, "", "Chromium binary for the browser tests", DEVELOPMENT,
    shown_default="found on `PATH`", read_in="dev.py, tests/conftest.py",
)  # fmt: skip
TEST_WORKERS = declare(
    "ANCHORBOARD_TEST_WORKERS", WHOLE, 2, "pytest-xdist workers (`0` = one process)",
    DEVELOPMENT, read_in="dev.py",
)  # fmt: skip
CI = declare(
    "CI", FLAG, False, "missing PostgreSQL/Redis/Chromium fails tests instead of skipping them",
    DEVELOPMENT, read_in="tests/conftest.py",
)  # fmt: skip
REQUIRE_SERVICES = declare(
    "ANCHORBOARD_REQUIRE_SERVICES", FLAG, False, "the same as `CI` for the service fixtures",
    DEVELOPMENT, read_in="tests/conftest.py",
)  # fmt: skip
REDIS_TEST_URL = declare(
    "REDIS_TEST_URL", TEXT, "redis://127.0.0.1:6379/15", "Redis for the tests", DEVELOPMENT,
    read_in="tests/conftest.py",
)  # fmt: skip
VITE_MANIFEST_PATH = declare(
    "VITE_MANIFEST_PATH", TEXT, "",
    "Vite's manifest of the built frontend (tests point it elsewhere)", DEVELOPMENT,
    shown_default="`frontend/dist/.vite/manifest.json`",
)  # fmt: skip
SCREENSHOTS = declare(
    "ANCHORBOARD_SCREENSHOTS", TEXT, "",
    "folder where the browser tests save the screenshots they take (to look at them)", DEVELOPMENT,
    shown_default="the test's temporary folder, or none",
    read_in="tests/browser/test_batch_progress_e2e.py, tests/browser/test_export_dialog_e2e.py",
)  # fmt: skip
