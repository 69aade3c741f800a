"""Peak memory of the exports that could grow with their input: a big ZIP package, a PSD.

**ZIP** (the default): N GB of generated files streamed into a ZIP on disk.

Builds ``--files`` entries totalling ``--gigabytes`` (data made as it is read, half the
files stored, half deflated, as media and other files are), writes the package with
``assets.exports.package.write_package`` to a temporary file, and prints the process's peak
RSS growth (VmHWM after, reset through /proc/self/clear_refs before, minus VmRSS before),
the time, the archive size and the load average. ``--check`` reads the archive back with
zipfile and verifies every member's CRC (slow: reads it all again).

**PSD** (``--psd WxH``): ``--layers`` full-canvas layers of random pixels (the worst case
for RLE) and the composite, made before the measurement starts, written by
``assets.exports.psd.write_psd`` at ``--depth`` 8 or 16 to a temporary file; prints the
peak RSS growth the same way, the time, the file size and the load average.

Usage:
  .venv/bin/python bench/export_memory_bench.py                 # 2 GB, 40 files
  .venv/bin/python bench/export_memory_bench.py --gigabytes 0.3 --check
  .venv/bin/python bench/export_memory_bench.py --psd 2000x1500 --layers 3 --depth 8

Linux only (/proc). The tests that hold the numbers down are
tests/assets/test_exports_package.py (300 MB, ≤ 100 MB growth) and
tests/assets/test_exports_psd.py (the PSD's growth against its canvas).
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

import numpy as np  # noqa: E402

from assets.exports.manifest import Provenance  # noqa: E402
from assets.exports.package import PackageEntry, write_package  # noqa: E402
from assets.exports.psd import PsdLayer, write_psd  # noqa: E402

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


def reset_peak() -> int:
    """Reset VmHWM to the current RSS (Linux /proc/self/clear_refs) and return that RSS."""
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")
    return status("VmRSS")


def psd_bench(size: str, layers: int, depth: int) -> None:
    width, height = (int(v) for v in size.lower().split("x"))
    rng = np.random.default_rng(7)
    dtype = np.uint16 if depth == 16 else np.uint8
    top = 65536 if depth == 16 else 256
    made = [
        PsdLayer(f"Layer {n + 1}", rng.integers(0, top, (height, width, 4), dtype=dtype))
        for n in range(layers)
    ]
    flat = rng.integers(0, top, (height, width, 4), dtype=dtype)
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "frame.psd"
        before = reset_peak()
        started = time.monotonic()
        with open(target, "wb") as out:
            write_psd(out, size=(width, height), layers=made, composite=flat, depth=depth)
        elapsed = time.monotonic() - started
        growth = status("VmHWM") - before
        canvas = width * height * 4 * (depth // 8)
        print(
            f"PSD {width}x{height}, {layers} layers, {depth} bits: {elapsed:.1f} s, "
            f"{target.stat().st_size / MB:,.0f} MB file, peak RSS growth {growth / MB:.1f} MB "
            f"({growth / canvas:.1f}x the {canvas / MB:.0f} MB canvas)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gigabytes", type=float, default=2.0)
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--check", action="store_true", help="read the archive back")
    parser.add_argument("--psd", metavar="WxH", help="measure a PSD of this canvas instead")
    parser.add_argument("--layers", type=int, default=3)
    parser.add_argument("--depth", type=int, choices=(8, 16), default=8)
    args = parser.parse_args()
    if args.psd:
        psd_bench(args.psd, args.layers, args.depth)
        print("load average (1/5/15 min):", " ".join(f"{v:.2f}" for v in os.getloadavg()))
        return
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
        before = reset_peak()
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
