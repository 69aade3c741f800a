#!/usr/bin/env python3
"""The two commands (and the lint command), usable on a fresh clone with only Python 3.11+.

    python3 dev.py start   # install, migrate, demo data, serve on $PORT (default 8000)
    python3 dev.py test    # install, then run the whole test suite (extra args go to pytest)
    python3 dev.py lint    # ruff, formatting, migrations, Django checks, imports, mypy, tsc
    python3 dev.py lint --update-mypy-baseline   # accept the current mypy errors

Everything is installed into ./.venv from the committed lock files; nothing is installed
outside the project folder. This script uses only the standard library on purpose.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import venv
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
LOCKS = {
    "runtime": ROOT / "requirements" / "runtime.lock",
    "dev": ROOT / "requirements" / "dev.lock",
}
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


def say(message: str) -> None:
    print(f"[anchorboard] {message}", flush=True)


def ensure_venv(kind: str) -> None:
    """Create .venv and install the lock file for ``kind`` unless it is already installed."""
    if sys.version_info < (3, 11):
        sys.exit("Anchorboard needs Python 3.11 or newer.")
    if not PY.exists():
        say("creating .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    locks = [LOCKS["runtime"]] + ([LOCKS["dev"]] if kind == "dev" else [])
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in locks)).hexdigest()[:16]
    stamp = VENV / f".installed-{kind}-{digest}"
    if stamp.exists():
        return
    say(f"installing {kind} dependencies into .venv (first run only)")
    for lock in locks:
        subprocess.run(
            [str(PY), "-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", str(lock)],
            check=True,
        )
    subprocess.run(
        [
            str(PY),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "-q",
            "--no-deps",
            "-e",
            str(ROOT),
        ],
        check=True,
    )
    for old in VENV.glob(f".installed-{kind}-*"):
        old.unlink()
    stamp.touch()


def run(*args: str, env: dict[str, str] | None = None) -> int:
    return subprocess.call(list(args), cwd=ROOT, env={**os.environ, **(env or {})})


def cmd_start(extra: list[str]) -> int:
    ensure_venv("runtime")
    port = os.environ.get("PORT", "8000")
    args = [str(PY), "manage.py", "serve", "--port", port, *extra]
    if os.name == "posix":
        # Become the server: Ctrl+C and SIGTERM (service managers, tests) reach it directly
        # instead of stopping this wrapper and leaving an orphaned server on the port.
        os.chdir(ROOT)
        sys.stdout.flush()
        os.execv(args[0], args)
    return run(*args)


def find_chromium() -> str | None:
    configured = os.environ.get("ANCHORBOARD_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


def test_workers(extra: list[str]) -> list[str]:
    """pytest-xdist arguments: two workers unless the caller chose (``-n``) or is debugging.

    Each worker gets its own SQLite test database file, its own PostgreSQL test database
    (test_anchorboard_gw0, ...) and its own data folder, so tests cannot see each other.
    ``ANCHORBOARD_TEST_WORKERS=0`` runs everything in one process.
    """
    if any(a == "-n" or a.startswith(("-n", "--numprocesses")) for a in extra):
        return []
    if any(a in {"--pdb", "--trace", "-x", "--exitfirst"} for a in extra):
        return []
    workers = os.environ.get("ANCHORBOARD_TEST_WORKERS", "2")
    return [] if workers in {"", "0", "1"} else ["-n", workers]


def cmd_test(extra: list[str]) -> int:
    ensure_venv("dev")
    env: dict[str, str] = {}
    chromium = find_chromium()
    if chromium:
        env["ANCHORBOARD_CHROMIUM"] = chromium
    else:
        say(
            "Chromium not found: browser tests will be skipped. Install it with "
            "`sudo apt install chromium` (Debian/Ubuntu) or set ANCHORBOARD_CHROMIUM to a "
            "Chrome/Chromium binary. In CI (CI=true) they fail instead."
        )
    db = os.environ.get("DATABASE_URL", "")
    say(f"running the test suite on {'PostgreSQL' if db.startswith('postgres') else 'SQLite'}")
    return run(str(PY), "-m", "pytest", *test_workers(extra), *extra, env=env)


MYPY_TARGETS = ("foundation", "anchorboard", "canvas", "assets")
MYPY_BASELINE = ROOT / "mypy-baseline.txt"
MYPY_ERROR = re.compile(r"^(?P<path>[^:\s]+\.pyi?):\d+(?::\d+)?: error: (?P<message>.*)$")


def mypy_key(line: str) -> str | None:
    """An error without its line number, so unrelated edits above it do not 'move' it."""
    match = MYPY_ERROR.match(line)
    return f"{match['path']}: {match['message']}" if match else None


def read_mypy_baseline() -> Counter[str]:
    if not MYPY_BASELINE.exists():
        return Counter()
    lines = MYPY_BASELINE.read_text().splitlines()
    return Counter(line for line in lines if line.strip() and not line.startswith("#"))


def compare_with_baseline(output_lines: list[str], baseline: Counter[str]) -> tuple[list[str], int]:
    """mypy output lines whose error is not in ``baseline``, and how many baselined are gone.

    Errors are compared as a multiset of keys: a third copy of an error baselined twice is new.
    """
    errors = [(line, key) for line in output_lines if (key := mypy_key(line))]
    current = Counter(key for _, key in errors)
    surplus = current - baseline
    new_lines = []
    for line, key in errors:
        if surplus[key] > 0:
            surplus[key] -= 1
            new_lines.append(line)
    return new_lines, sum((baseline - current).values())


def lint_mypy(update_baseline: bool) -> int:
    """Run mypy and fail only on errors that are not in the committed baseline (a ratchet)."""
    # --no-incremental: with the django-stubs plugin a stale cache reports phantom errors
    # (e.g. "type[Model] has no attribute 'objects'") after models are added elsewhere.
    result = subprocess.run(
        [str(PY), "-m", "mypy", "--no-incremental", *MYPY_TARGETS],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    lines = result.stdout.splitlines()
    keys = [key for line in lines if (key := mypy_key(line))]
    if result.returncode not in (0, 1) or (result.returncode == 1 and not keys):
        # mypy itself failed (bad config, crash): nothing to compare, show everything.
        print(result.stdout + result.stderr, end="")
        return 1
    if update_baseline:
        header = (
            "# mypy errors accepted for now (python3 dev.py lint --update-mypy-baseline).\n"
            "# New code must not add to this list; fix entries and shrink it.\n"
        )
        MYPY_BASELINE.write_text(header + "".join(f"{k}\n" for k in sorted(keys)))
        say(f"mypy baseline written: {len(keys)} accepted error(s)")
        return 0
    new_lines, fixed = compare_with_baseline(lines, read_mypy_baseline())
    if fixed:
        say(
            f"mypy: {fixed} baselined error(s) no longer occur; shrink the baseline with "
            "`python3 dev.py lint --update-mypy-baseline` and commit it"
        )
    if new_lines:
        print("\n".join(new_lines))
        say(f"mypy: {len(new_lines)} new error(s) (not in {MYPY_BASELINE.name})")
        return 1
    say(f"mypy: no new errors ({len(keys)} baselined)")
    return 0


def cmd_lint(extra: list[str]) -> int:
    ensure_venv("dev")
    update_baseline = "--update-mypy-baseline" in extra
    steps: list[list[str]] = [
        [str(BIN / "ruff"), "check", "."],
        [str(BIN / "ruff"), "format", "--check", "."],
        [str(PY), "manage.py", "makemigrations", "--check", "--dry-run"],
        [str(PY), "manage.py", "check", "--fail-level", "WARNING"],
        # Import contracts (pyproject.toml [tool.importlinter]), then no cycles and no
        # module over 600 lines (tools/check_layout.py).
        [str(BIN / "lint-imports"), "--no-cache"],
        [str(PY), "tools/check_layout.py"],
    ]
    if (ROOT / "frontend" / "node_modules").exists():
        steps.append(["npm", "--prefix", "frontend", "run", "--silent", "typecheck"])
    else:
        say("frontend/node_modules missing: skipping tsc (run `npm --prefix frontend ci`)")
    failed: list[str] = []
    for step in steps:
        label = " ".join(Path(step[0]).name if i == 0 else a for i, a in enumerate(step))
        say("$ " + label)
        if run(*step) != 0:
            failed.append(label)
    say("$ mypy " + " ".join(MYPY_TARGETS))
    if lint_mypy(update_baseline) != 0:
        failed.append("mypy")
    if failed:
        say(f"lint failed: {len(failed)} step(s): " + "; ".join(failed))
        return 1
    say("lint passed")
    return 0


COMMANDS = {"start": cmd_start, "test": cmd_test, "lint": cmd_lint}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)
        return 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
