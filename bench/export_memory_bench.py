"""Peak memory of a big export package: N GB of generated files streamed into a ZIP on disk.

Builds ``--files`` entries totalling ``--gigabytes`` (data made as it is read, half the
files stored, half deflated, as media and other files are), writes the package with
``assets.exports.package.write_package`` to a temporary file, and prints the process's peak
RSS growth (VmHWM after, reset through /proc/self/clear_refs before, minus VmRSS before),
the time, the archive size and the load average. ``--check`` reads the archive back with
zipfile and verifies every member's CRC (slow: reads it all again).

Usage:
  .venv/bin/python bench/export_memory_bench.py                 # 2 GB, 40 files
  .venv/bin/python bench/export_memory_bench.py --gigabytes 0.3 --check

Linux only (/proc). The test that holds the number down is
tests/assets/test_exports_package.py (300 MB, ≤ 100 MB growth).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assets.exports.manifest import Provenance  # noqa: E402
from assets.exports.package import PackageEntry, write_package  # noqa: E402

MB = 1024 * 1024


class Generated(io.RawIOBase):
    """``size`` bytes of varied data, made as they are read."""

    def __init__(self, size: int, seed: int):
        self.left = size
        self.block = bytes((seed * 31 + i * 7) % 251 for i in range(MB))

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.left, len(self.block))
        buffer[:n] = self.block[:n]
        self.left -= n
        return n


def status(field: str) -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(field)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gigabytes", type=float, default=2.0)
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--check", action="store_true", help="read the archive back")
    args = parser.parse_args()
    size = int(args.gigabytes * 1024 * MB) // args.files
    entries = (
        PackageEntry(
            open=lambda i=i: io.BufferedReader(Generated(size, i)),
            provenance=Provenance(asset=f"asset-{i}", board="Bench", seed=i),
            extension="png" if i % 2 else "bin",
            naming={"campaign": "bench", "variant": i, "seed": i, "w": 4096, "h": 4096},
        )
        for i in range(args.files)
    )
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "package.zip"
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")  # reset VmHWM to the current RSS
        before = status("VmRSS")
        started = time.monotonic()
        with open(target, "wb") as out:
            records = write_package(out, entries)
        elapsed = time.monotonic() - started
        growth = status("VmHWM") - before
        archive_size = target.stat().st_size
        total = sum(record.size for record in records)
        print(
            f"{len(records)} files, {total / MB:,.0f} MB in, {archive_size / MB:,.0f} MB archive, "
            f"{elapsed:.1f} s, peak RSS growth {growth / MB:.1f} MB"
        )
        if args.check:
            with zipfile.ZipFile(target) as archive:
                print("check:", archive.testzip() or "every CRC matches")
    print("load average (1/5/15 min):", " ".join(f"{v:.2f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()
