"""How much memory the server spends on an upload, measured from outside its process.

Starts a real server (``manage.py serve``: Daphne in-process, embedded workers) on a
throwaway data folder, and for 50, 100, 180 and 210 MB uploads (a 256 × 256 JPEG padded to
the size, generated while it is sent), once with an editor's API token and once
anonymously, prints the server's peak RSS growth (VmHWM after the request, reset through
/proc/<pid>/clear_refs before it, minus VmRSS before it), the answer, and how much of the
body the client got to send before the server answered.

Usage:
  .venv/bin/python bench/upload_memory_bench.py              # Anchorboard's server
  .venv/bin/python bench/upload_memory_bench.py --stock      # plain `daphne`, for comparison
  .venv/bin/python bench/upload_memory_bench.py --sizes 50 100 --chunked

The stock run shows what the fix is about (see docs/assets.md, "Memory and limits"). Linux
only (/proc); the test that holds the numbers down is tests/assets/test_upload_memory.py.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.assets.live_server import measure, padded_jpeg, start_server, stop_server  # noqa: E402

MB = 1024 * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 180, 210])
    parser.add_argument("--stock", action="store_true", help="plain daphne instead")
    parser.add_argument("--chunked", action="store_true", help="no Content-Length")
    args = parser.parse_args()

    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"server: {'stock daphne' if args.stock else 'anchorboard (manage.py serve)'}")
    server = start_server(stock_daphne=args.stock)
    try:
        print(
            f"{'upload':>8} {'caller':>9} {'status':>6} {'peak growth':>12} {'sent':>9} {'time':>6}"
        )
        for size in args.sizes:
            for caller, token in (("editor", server.editor_token), ("anonymous", None)):
                started = time.monotonic()
                length = None if args.chunked else size * MB
                send = functools.partial(server.upload, token, padded_jpeg(size * MB), length)
                result = measure(server, send)
                code = result.reply.json().get("error", {}).get("code", "stored")
                print(
                    f"{size:>5} MB {caller:>9} {result.reply.status:>6} "
                    f"{result.growth_mib:>9.0f} MB {result.reply.sent / MB:>6.1f} MB "
                    f"{time.monotonic() - started:>5.1f}s  {code}",
                    flush=True,
                )
    finally:
        stop_server(server)


if __name__ == "__main__":
    main()
