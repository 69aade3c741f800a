"""Upload pipeline benchmark: how long a big photo takes, how little a bomb costs.

Prints
  (a) wall time from ``ingest_upload`` to finished WebP previews for a generated
      24-megapixel JPEG (6000 × 4000, gradient plus noise), median of a few runs, with
      the validation and preview steps timed separately once;
  (b) peak memory while rejecting a PNG that declares 40,000 × 40,000 pixels, measured in
      a fresh subprocess (tracemalloc peak and the ru_maxrss increase).

Usage: .venv/bin/python bench/upload_bench.py [--runs 3]

Runs against a throwaway data folder (SQLite database and media) that is deleted at the
end; DATABASE_URL, REDIS_URL and S3 settings from the environment are ignored on purpose.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(data_dir: str) -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "AWS_STORAGE_BUCKET_NAME"):
        os.environ.pop(name, None)
    os.environ["ANCHORBOARD_DATA_DIR"] = data_dir
    os.environ["ANCHORBOARD_DISPATCHER"] = "inline"  # previews run at commit, in this thread
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def photo_jpeg(width: int = 6000, height: int = 4000) -> bytes:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(24)
    x = np.linspace(0, 255, width, dtype=np.float32)[None, :, None]
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None, None]
    base = np.concatenate([x + 0 * y, y + 0 * x, (x + y) / 2], axis=2)
    pixels = base + rng.normal(0, 24, (height, width, 3)).astype(np.float32)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def with_comment(jpeg: bytes, text: str) -> bytes:
    """Same pixels, different bytes: a COM segment after SOI defeats dedupe between runs."""
    payload = text.encode()
    segment = b"\xff\xfe" + (len(payload) + 2).to_bytes(2, "big") + payload
    return jpeg[:2] + segment + jpeg[2:]


def rss_peak_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def photo_child(path: str, runs: int) -> None:
    """Runs in a fresh interpreter: upload the photo ``runs`` times, report JSON on stdout."""
    from assets.derivatives import build_derivatives
    from assets.inspection import inspect_image
    from assets.models import Blob, DerivativeState
    from assets.services import ingest_upload
    from tests import factories

    owner = factories.make_user("bench")
    board = factories.make_board(name="Bench", owner=owner)
    jpeg = Path(path).read_bytes()
    rss_before = rss_peak_kb()

    totals = []
    for run in range(runs):
        data = with_comment(jpeg, f"run {run}")
        t0 = time.perf_counter()
        asset = ingest_upload(board, owner, io.BytesIO(data), f"photo-{run}.jpg")
        totals.append(time.perf_counter() - t0)
        blob = Blob.objects.get(pk=asset.blob_id)
        assert blob.derivative_state == DerivativeState.READY, blob.derivative_error
    rss_after = rss_peak_kb()

    t0 = time.perf_counter()
    inspect_image(io.BytesIO(jpeg))
    validate = time.perf_counter() - t0
    Blob.objects.filter(pk=asset.blob_id).update(derivative_state=DerivativeState.PENDING)
    t0 = time.perf_counter()
    levels = build_derivatives(asset.blob_id)
    previews = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "jpeg_bytes": len(jpeg),
                "runs_s": totals,
                "median_s": statistics.median(totals),
                "validate_s": validate,
                "previews_s": previews,
                "levels": levels,
                "ru_maxrss_before_kb": rss_before,
                "ru_maxrss_delta_kb": rss_after - rss_before,
            }
        )
    )


def bomb_child() -> None:
    """Runs in a fresh interpreter: reject the bomb and report memory as JSON on stdout."""
    from assets.errors import UploadRejected
    from assets.models import Asset
    from assets.services import ingest_upload
    from tests import factories
    from tests.assets.samples import bomb_png

    owner = factories.make_user("bomb")
    board = factories.make_board(name="Bomb", owner=owner)
    bomb = bomb_png(40_000, 40_000)
    # Warm-up with a different bad file: loads Pillow's plugins and the database connection,
    # so the timing below is the rejection itself.
    with contextlib.suppress(UploadRejected):
        ingest_upload(board, owner, io.BytesIO(b"not an image"), "warmup.png")
    rss_before = rss_peak_kb()
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        ingest_upload(board, owner, io.BytesIO(bomb), "bomb.png")
        outcome = "ACCEPTED (bug!)"
    except UploadRejected as exc:
        outcome = f"{exc.status} {exc.code}: {exc.message}"
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = rss_peak_kb()
    print(
        json.dumps(
            {
                "file_bytes": len(bomb),
                "outcome": outcome,
                "elapsed_s": elapsed,
                "tracemalloc_peak_bytes": peak,
                "ru_maxrss_before_kb": rss_before,
                "ru_maxrss_delta_kb": rss_after - rss_before,
                "assets_created": Asset.objects.count(),
            }
        )
    )


def run_child(*args: str) -> dict:
    child = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False, cwd=ROOT
    )
    if child.returncode != 0:
        sys.stderr.write(child.stderr)
        raise SystemExit(f"benchmark step {args[0]} failed")
    return json.loads(child.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", choices=["make-photo", "photo", "bomb"], help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child == "make-photo":
        Path(args.path).write_bytes(photo_jpeg())
        print(json.dumps({"ok": True}))
        return
    if args.child:
        # Each measurement runs in its own interpreter so that ru_maxrss (a high-water mark,
        # inherited across fork/exec) reflects only that step.
        setup_django(tempfile.mkdtemp(prefix="data-", dir=args.path and Path(args.path).parent))
        if args.child == "bomb":
            bomb_child()
        else:
            photo_child(args.path, args.runs)
        return

    work = tempfile.mkdtemp(prefix="anchorboard-bench-")
    try:
        photo_path = str(Path(work) / "photo.jpg")
        bomb = run_child("--child", "bomb", "--path", str(Path(work) / "unused"))
        run_child("--child", "make-photo", "--path", photo_path)
        photo = run_child("--child", "photo", "--path", photo_path, "--runs", str(args.runs))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    mb = 1024 * 1024
    print("(a) 24 MP JPEG (6000 × 4000, gradient + noise) -> WebP previews")
    print(f"    file size            {photo['jpeg_bytes'] / mb:.1f} MB")
    print(f"    runs                 {', '.join(f'{t:.2f} s' for t in photo['runs_s'])}")
    print(f"    median upload→ready  {photo['median_s']:.2f} s")
    print(f"    of which validation  {photo['validate_s']:.2f} s (header + full decode + hash)")
    print(f"    of which previews    {photo['previews_s']:.2f} s (levels {photo['levels']})")
    print(f"    ru_maxrss increase   {photo['ru_maxrss_delta_kb'] / 1024:.0f} MB")
    print("(b) 40,000 × 40,000 PNG bomb, rejected in a fresh process")
    print(f"    file size            {bomb['file_bytes']} bytes")
    print(f"    outcome              {bomb['outcome']}")
    print(f"    time                 {bomb['elapsed_s'] * 1000:.1f} ms (warm process)")
    print(f"    tracemalloc peak     {bomb['tracemalloc_peak_bytes'] / 1024:.1f} KB")
    print(
        f"    ru_maxrss increase   {bomb['ru_maxrss_delta_kb'] / 1024:.1f} MB "
        f"(process peak before: {bomb['ru_maxrss_before_kb'] / 1024:.0f} MB)"
    )
    print(f"    assets created       {bomb['assets_created']}")


if __name__ == "__main__":
    main()
