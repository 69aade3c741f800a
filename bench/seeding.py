"""What the browser benches share: a seeded board of generated images in a grid, its data
folder (kept and reused between runs), and a server on it.

``board_open_bench.py``, ``compare_bench.py`` and ``canvas_bench.py`` each measure a board of
N image items laid out in a grid. Each describes its scene with a ``Grid`` and a picture
function, and this module does the rest the same way for all three:

- ``Grid`` and ``picture``: where item *i* goes, and a distinct generated picture per index
  (a tinted gradient with a sharp bar, optionally noise) encoded as JPEG or PNG;
- ``seed_board`` (run in a child interpreter with Django set up, tasks inline, so previews
  and atlas sheets are built as the items commit): migrate, one user, one board, every
  image through ``ingest_bytes`` (the upload endpoint's function) and the items through
  ``apply_batch`` (the board socket's write path); prints one ``SEED`` JSON line;
- ``seeded``: seeds a new data folder by running the bench script's ``--seed-child``, or
  reads a reused one's ``bench-seed.json`` (refusing a folder another bench seeded);
- ``data_folder``: a throwaway folder, a named one (``--data DIR``) or a reused one, deleted
  at the end only if it was throwaway;
- ``serving``: ``manage.py serve`` (Daphne, embedded workers) on a free port of the folder,
  started by this file's ``--serve`` entry, waited for on ``/healthz`` and always stopped.

``add_data_arguments`` gives every bench the same flags: ``--items``, ``--keep``, ``--data``,
``--reuse``, ``--seed-only``. DATABASE_URL, REDIS_URL and S3 settings from the environment
are ignored on purpose. This module must not be imported by the application or the tests.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED_FILE = "bench-seed.json"

Picture = Callable[[int], bytes]


# --- the scene ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grid:
    """N items in ``columns`` columns: ``size`` board units each, ``pitch`` apart, either
    centred on the board origin or with the first item's corner at the origin."""

    columns: int
    size: tuple[float, float]
    pitch: tuple[float, float]
    centred: bool
    label: str  # item names "<label> <i>", file names "<label>-<i>.<ext>"

    def rows(self, count: int) -> int:
        return -(-count // self.columns)

    def origin(self, count: int) -> tuple[float, float]:
        """The top-left board point of the grid."""
        if not self.centred:
            return (0.0, 0.0)
        return (-self.columns / 2 * self.pitch[0], -self.rows(count) / 2 * self.pitch[1])

    def position(self, index: int, count: int) -> tuple[float, float]:
        left, top = self.origin(count)
        col, row = index % self.columns, index // self.columns
        return (left + col * self.pitch[0], top + row * self.pitch[1])


def picture(
    index: int,
    size: tuple[int, int],
    *,
    encoding: str = "JPEG",
    tint: float = 0.3,
    bar: str = "columns",
    bar_width: int = 16,
    bar_value: int = 255,
    noise: float = 0.0,
) -> bytes:
    """A distinct picture per index: a gradient tinted by the index, a sharp bar (columns
    or rows), optional noise; JPEG at quality 85 or PNG at compression level 1."""
    import numpy as np
    from PIL import Image

    w, h = size
    x = np.linspace(0, 1, w, dtype=np.float32)[None, :]
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    hue = (index * 0.618034) % 1.0
    r = 255 * (0.5 + 0.5 * np.cos(6.283 * (hue + x * tint))) + 0 * y
    g = 255 * y + 0 * x
    b = 255 * (1 - x) * (0.5 + 0.5 * np.sin(6.283 * hue)) + 0 * y
    pixels = np.stack([r, g, b], -1)
    if noise:
        pixels = pixels + np.random.default_rng(index).normal(0, noise, (h, w, 3))
    band = slice(20 + index % 200, 20 + bar_width + index % 200)
    if bar == "rows":
        pixels[band, :] = (bar_value,) * 3
    else:
        pixels[:, band] = (bar_value,) * 3
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
    buffer = io.BytesIO()
    if encoding == "PNG":
        image.save(buffer, "PNG", compress_level=1)
    else:
        image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


# --- seeding (in a child interpreter: Django set up, tasks inline) --------------------------


def seed_board(
    count: int, grid: Grid, make: Picture, board_name: str, image_dir: Path | None = None
) -> None:
    """User, board, images and items; prints one ``SEED`` JSON line for the parent. With
    ``image_dir`` each file is also written there (tldraw's page serves them as they are)."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import uuid

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from assets.services import ingest_bytes
    from canvas import protocol
    from canvas.boards.operations import apply_batch
    from canvas.models import BoardAtlas
    from tests import factories

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user("bench", "bench@example.test", "bench")
    board = factories.make_board(name=board_name, owner=user)
    if image_dir is not None:
        image_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    ops = []
    for i in range(count):
        data = make(i)
        ext = "png" if data.startswith(b"\x89PNG") else "jpg"
        if image_dir is not None:
            (image_dir / f"{grid.label}-{i}.{ext}").write_bytes(data)
        asset = ingest_bytes(board, user, data, f"{grid.label}-{i}.{ext}")
        x, y = grid.position(i, count)
        item = {
            "id": str(uuid.uuid4()),
            "kind": "image",
            "asset": str(asset.pk),
            "name": f"{grid.label} {i}",
            "x": x,
            "y": y,
            "width": grid.size[0],
            "height": grid.size[1],
            "rotation": 0,
            "opacity": 1,
            "z": i,
            "hidden": False,
            "locked": False,
            "anchor_role": "",
            "props": {},
        }
        ops.append(protocol.parse_operation({"op": "create", "item": item}))
    ingest_seconds = time.perf_counter() - started
    placing = time.perf_counter()
    for start in range(0, len(ops), protocol.MAX_OPS_PER_BATCH):
        apply_batch(board.pk, user, ops[start : start + protocol.MAX_OPS_PER_BATCH])
    place_seconds = time.perf_counter() - placing  # placing, incl. the inline atlas
    atlas = BoardAtlas.objects.filter(pk=board.pk).first()
    client = Client()
    client.force_login(user)
    seed = {
        "board": str(board.pk),
        "session": client.cookies["sessionid"].value,
        "ingest_seconds": ingest_seconds,
        "place_seconds": place_seconds,
        "seed_seconds": time.perf_counter() - started,
        "sheets": len(atlas.sheets) if atlas else 0,
    }
    print("SEED" + json.dumps(seed))


# --- the data folder ------------------------------------------------------------------------


def add_data_arguments(parser: argparse.ArgumentParser, items: int = 2000) -> None:
    """The flags every browser bench takes for its scene and data folder."""
    parser.add_argument("--items", type=int, default=items, help="images on the board")
    parser.add_argument("--keep", action="store_true", help="keep the seeded data folder")
    parser.add_argument(
        "--data", type=Path, help="seed into this (new or empty) folder and keep it"
    )
    parser.add_argument(
        "--reuse", type=Path, help="a data folder seeded before (--keep/--data): skip seeding"
    )
    parser.add_argument(
        "--seed-only", action="store_true", help="seed, keep the folder and stop (no browser)"
    )
    parser.add_argument("--seed-child", type=int, help=argparse.SUPPRESS)


@contextlib.contextmanager
def data_folder(args: argparse.Namespace, prefix: str) -> Iterator[Path]:
    """The bench's data folder: reused, named, or a new temporary one; deleted at the end
    only if it was temporary and neither ``--keep`` nor ``--seed-only`` was given."""
    if args.reuse and args.data:
        raise SystemExit("--reuse and --data name two folders; give one")
    if args.reuse:
        folder, keep = args.reuse, True
    elif args.data:
        args.data.mkdir(parents=True, exist_ok=True)
        if any(args.data.iterdir()):
            raise SystemExit(f"{args.data} is not empty; --reuse it or name a new folder")
        folder, keep = args.data, True
    else:
        folder = Path(tempfile.mkdtemp(prefix=f"anchorboard-{prefix}-"))
        keep = args.keep or args.seed_only
    try:
        yield folder
    finally:
        if keep:
            print(f"data kept in {folder} (run again with --reuse {folder})")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def seeded(script: str, bench: str, folder: Path, args: argparse.Namespace, *extra: str) -> dict:
    """The seed of ``folder``: read back when reused, else made by ``script --seed-child``
    (``extra`` arguments passed on) and written next to the data."""
    seed_path = folder / SEED_FILE
    if args.reuse:
        if not seed_path.exists():
            raise SystemExit(f"{folder} holds no {SEED_FILE}: not a seeded bench folder")
        seed = json.loads(seed_path.read_text())
        if seed.get("bench", bench) != bench:
            raise SystemExit(f"{folder} was seeded by {seed['bench']}, not {bench}")
        return seed
    print(f"seeding {args.items} images into {folder} …", flush=True)
    out = subprocess.run(
        [sys.executable, script, "--seed-child", str(args.items), *extra],
        cwd=ROOT,
        env=server_env(folder, "inline"),  # previews and sheets built at commit
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    seed = json.loads(next(x for x in out.splitlines() if x.startswith("SEED"))[4:])
    seed.update({"items": args.items, "bench": bench})
    seed_path.write_text(json.dumps(seed))
    print(f"seeded in {seed['seed_seconds']:.0f} s ({seed['sheets']} atlas sheets)", flush=True)
    return seed


# --- the server -----------------------------------------------------------------------------


def server_env(data_dir: Path, dispatcher: str) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("DATABASE_URL", "REDIS_URL", "AWS_STORAGE_BUCKET_NAME", "DJANGO_ENV"):
        env.pop(name, None)
    env.update(
        {
            "ANCHORBOARD_DATA_DIR": str(data_dir),
            "DJANGO_SETTINGS_MODULE": "anchorboard.settings",
            "ANCHORBOARD_DISPATCHER": dispatcher,
            "DJANGO_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(base_url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("the server exited during start-up")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.3)
    raise SystemExit(f"the server did not answer /healthz within {timeout:.0f} s")


@contextlib.contextmanager
def serving(data_dir: Path, ws_limit_mib: int = 1) -> Iterator[str]:
    """``manage.py serve`` on ``data_dir`` (embedded workers); yields its base URL and
    stops it (terminate, then kill) whatever happens."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port), "--ws-limit-mib", str(ws_limit_mib)],
        cwd=ROOT,
        env=server_env(data_dir, "embedded"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_healthy(base_url, proc)
        yield base_url
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def serve(port: int, limit_mib: int) -> None:
    """``manage.py serve`` with only the websocket message cap changed: Daphne refuses any
    message above it (shipped: 1 MiB), so a large board's snapshot is sent in parts."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from canvas.management.commands import serve as serve_command

    serve_command.WEBSOCKET_MAX_MESSAGE_BYTES = limit_mib * 1024 * 1024
    serve_command.WEBSOCKET_MAX_FRAME_BYTES = limit_mib * 1024 * 1024
    call_command("serve", no_demo=True, port=port)


if __name__ == "__main__":
    entry = argparse.ArgumentParser(description="the benches' server child")
    entry.add_argument("--serve", type=int, required=True)
    entry.add_argument("--ws-limit-mib", type=int, default=1)
    parsed = entry.parse_args()
    serve(parsed.serve, parsed.ws_limit_mib)
