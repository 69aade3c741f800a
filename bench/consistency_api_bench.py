"""How long the consistency API's check takes for 500 cold 512 px results (issue 14).

    .venv/bin/python bench/consistency_api_bench.py [--count 500] [--size 512]

Runs in the embedded shape (SQLite and files in a temporary folder): a board with palette,
lighting and composition anchors, ``--count`` stored PNG results rendered by
bench/drift_scenes.py, then ``canvas.governance.services.check`` over all of them as the
endpoint calls it — cold (nothing scored yet: decode, score, calibrate, store) and warm
(every score stored). Prints wall and CPU time with the load average; OpenCV and BLAS are
limited to one thread, so CPU time is one core's work.
"""

from __future__ import annotations

import os
import tempfile

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ["ANCHORBOARD_DATA_DIR"] = tempfile.mkdtemp(prefix="consistency-bench-")
os.environ.pop("DATABASE_URL", None)
os.environ.pop("REDIS_URL", None)
os.environ["ANCHORBOARD_DISPATCHER"] = "inline"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anchorboard.settings")

import argparse  # noqa: E402
import io  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import django  # noqa: E402

django.setup()

import cv2  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from drift_scenes import SETS, anchors, consistent, render  # noqa: E402
from PIL import Image  # noqa: E402

from assets.services import ingest_bytes  # noqa: E402
from canvas.models import Board, BoardMember, Item, ItemKind, Role, Team  # noqa: E402


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG")
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--size", type=int, default=512)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user("bench", "bench@example.test", "x")
    board = Board.objects.create(team=Team.objects.create(name="Bench"), name="Bench")
    BoardMember.objects.create(board=board, user=user, role=Role.OWNER)
    rng = np.random.default_rng(1)
    spec = SETS[0]
    for role, arrays in anchors(spec, rng).items():
        for array in arrays:
            asset = ingest_bytes(board, user, png(array), f"{role}.png")
            Item.objects.create(
                board=board, kind=ItemKind.IMAGE, asset=asset, anchor_role=role, width=64, height=64
            )
    ids = []
    for number in range(args.count):
        array = render(consistent(spec.base, rng), rng, size=args.size)
        ids.append(ingest_bytes(board, user, png(array), f"result-{number}.png").pk)
    from canvas.governance import services

    for label in ("cold", "warm"):
        wall, cpu = time.perf_counter(), time.process_time()
        reply = services.check(board, ids)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        load = os.getloadavg()
        print(
            f"{label}: {len(reply['results'])} × {args.size} px in {wall:.2f} s wall, "
            f"{cpu:.2f} s CPU ({len(ids) / cpu:.0f} images per CPU-second); "
            f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
        )


if __name__ == "__main__":
    main()
