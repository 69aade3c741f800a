"""Demo data for a first start: a team, a login and a board with generated anchor images.

``seed_demo()`` is idempotent: it creates what is missing and leaves what exists alone, so
``manage.py serve`` can call it on every start. The demo password is generated once and
kept in ``<DATA_DIR>/demo-login.txt`` (mode 600) so later starts print the same login; the
file lives with the data, never in the repository.

The sample images are drawn here with Pillow and NumPy from fixed seeds, so every install
gets the same bytes (and the same content hashes). Nothing is downloaded. This module must
not bypass the assets app: files enter the board library through
``assets.services.ingest_bytes`` like any upload.
"""

from __future__ import annotations

import functools
import io
import logging
import math
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from assets.models import AssetSource
from assets.services import ingest_bytes
from canvas.models import (
    AnchorRole,
    Board,
    BoardMember,
    Item,
    ItemKind,
    Role,
    Team,
    TeamMembership,
    TeamRole,
)

logger = logging.getLogger(__name__)

TEAM_NAME = "Demo Studio"
USERNAME = "demo"
BOARD_NAME = "Demo — Spring campaign"
LOGIN_FILE = "demo-login.txt"

PAPER = (244, 240, 230)
GRAPHITE = (58, 58, 64)
# The campaign's brand colours (also drawn on the palette card).
BRAND_COLOURS: list[tuple[str, tuple[int, int, int]]] = [
    ("Blossom", (232, 138, 160)),
    ("Leaf", (118, 168, 96)),
    ("Sky", (126, 178, 221)),
    ("Butter", (244, 214, 120)),
    ("Clay", (196, 112, 76)),
    ("Ink", (40, 46, 74)),
]


# --- images -----------------------------------------------------------------------------------


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _paper(size: tuple[int, int], seed: int) -> Image.Image:
    """Off-white paper with a faint, soft, deterministic grain."""
    width, height = size
    rng = np.random.default_rng(seed)
    # Coarse noise scaled up: reads as paper tooth and compresses far better than pixel noise.
    coarse = rng.normal(128.0, 10.0, (height // 6 + 1, width // 6 + 1))
    grain = Image.fromarray(np.uint8(np.clip(coarse, 0, 255))).resize(
        size, Image.Resampling.BILINEAR
    )
    offset = (np.asarray(grain, dtype=np.float64) - 128.0)[..., None] * 0.6
    pixels = np.clip(np.array(PAPER, dtype=np.float64) + offset, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels, "RGB")


def _sketch_line(draw, points, rng, width: int = 3, passes: int = 2) -> None:
    """A pencil line: the same path drawn a few times with a small hand wobble."""
    for _ in range(passes):
        jittered = [(x + rng.normal(0, 1.4), y + rng.normal(0, 1.4)) for x, y in points]
        draw.line(jittered, fill=GRAPHITE, width=width, joint="curve")


def composition_sketch() -> bytes:
    """A line drawing: horizon, hills, sun, a kiosk with an awning and a walking figure."""
    size = (1600, 1000)
    rng = np.random.default_rng(11)
    image = _paper(size, seed=1)
    draw = ImageDraw.Draw(image)
    horizon = 620
    _sketch_line(draw, [(40, horizon), (1560, horizon)], rng)
    hills: list[tuple[float, float]] = [(40, horizon)]
    for x in range(40, 1561, 40):
        hills.append((x, horizon - 90 - 70 * math.sin(x / 260) - 30 * math.sin(x / 95)))
    _sketch_line(draw, hills, rng, width=2)
    # Sun, upper left: matches the light direction of the lighting reference.
    for _ in range(2):
        cx, cy, r = 300 + rng.normal(0, 1.5), 200 + rng.normal(0, 1.5), 80
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=GRAPHITE, width=3)
    # A kiosk with an awning (the "product" of the hero shot).
    _sketch_line(draw, [(900, horizon + 120), (900, 430), (1220, 430), (1220, horizon + 120)], rng)
    _sketch_line(draw, [(870, 430), (1250, 430), (1220, 370), (900, 370), (870, 430)], rng)
    for x in range(900, 1221, 40):
        _sketch_line(draw, [(x, 370), (x - 8, 430)], rng, width=2, passes=1)
    _sketch_line(draw, [(940, 480), (1180, 480), (1180, 560), (940, 560), (940, 480)], rng, 2)
    # Ground plane / path in perspective.
    _sketch_line(draw, [(700, 980), (780, horizon)], rng, width=2)
    _sketch_line(draw, [(1450, 980), (1000, horizon + 120)], rng, width=2)
    # A walking figure silhouette, filled like a quick graphite blob.
    fx, fy = 560, 700
    draw.ellipse((fx - 26, fy - 190, fx + 26, fy - 138), fill=GRAPHITE)
    draw.polygon(
        [(fx - 40, fy - 130), (fx + 40, fy - 130), (fx + 30, fy + 10), (fx - 30, fy + 10)],
        fill=GRAPHITE,
    )
    draw.line([(fx - 20, fy + 5), (fx - 60, fy + 150)], fill=GRAPHITE, width=22)
    draw.line([(fx + 20, fy + 5), (fx + 45, fy + 150)], fill=GRAPHITE, width=22)
    draw.line([(fx - 38, fy - 120), (fx - 80, fy - 20)], fill=GRAPHITE, width=16)
    draw.line([(fx + 38, fy - 120), (fx + 85, fy - 40)], fill=GRAPHITE, width=16)
    # Rule-of-thirds guides, very light.
    for i in (1, 2):
        x, y = size[0] * i // 3, size[1] * i // 3
        draw.line([(x, 0), (x, size[1])], fill=(205, 200, 190), width=1)
        draw.line([(0, y), (size[0], y)], fill=(205, 200, 190), width=1)
    return _png(image)


def palette_card() -> bytes:
    """Six brand swatches with their names and hex values on a white card."""
    size = (1200, 480)
    image = Image.new("RGB", size, (250, 250, 248))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=26)
    small = ImageFont.load_default(size=20)
    draw.text((40, 28), "Spring campaign: brand palette", fill=(40, 40, 40), font=font)
    margin, gap = 40, 20
    swatch_w = (size[0] - 2 * margin - gap * (len(BRAND_COLOURS) - 1)) // len(BRAND_COLOURS)
    for i, (name, rgb) in enumerate(BRAND_COLOURS):
        x = margin + i * (swatch_w + gap)
        draw.rounded_rectangle((x, 90, x + swatch_w, 370), radius=12, fill=rgb)
        draw.text((x, 385), name, fill=(40, 40, 40), font=small)
        draw.text((x, 415), "#{:02X}{:02X}{:02X}".format(*rgb), fill=(110, 110, 110), font=small)
    return _png(image)


def lighting_reference() -> bytes:
    """Warm key light from the upper left over a sphere, with a soft shadow to the right."""
    width, height = 1200, 900
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    # Background: warm falloff from the upper-left corner.
    distance = np.hypot(xs / width, ys / height) / math.sqrt(2)
    warm, dusk = np.array([255, 214, 160.0]), np.array([46, 36, 44.0])
    falloff = np.clip(distance**0.8, 0, 1)[..., None]
    background = warm * (1 - falloff) + dusk * falloff
    # Soft contact shadow, offset away from the light (down and to the right).
    shadow = np.exp(-(((xs - 720) / 260) ** 2 + ((ys - 720) / 60) ** 2))
    background *= (1 - 0.55 * shadow)[..., None]
    # A Lambert-shaded sphere lit from the upper left, front.
    cx, cy, radius = 560.0, 470.0, 230.0
    nx, ny = (xs - cx) / radius, (ys - cy) / radius
    inside = nx**2 + ny**2 <= 1
    nz = np.sqrt(np.clip(1 - nx**2 - ny**2, 0, 1))
    light = np.array([-0.6, -0.6, 0.53])
    light /= np.linalg.norm(light)
    lambert = np.clip(nx * light[0] + ny * light[1] + nz * light[2], 0, 1)
    albedo = np.array([236, 226, 214.0])
    ambient = 0.12
    sphere = albedo * (ambient + (1 - ambient) * lambert)[..., None] * np.array([1.0, 0.92, 0.8])
    pixels = np.where(inside[..., None], sphere, background)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
    return _png(image.filter(ImageFilter.GaussianBlur(1.2)))


def style_reference() -> bytes:
    """A gouache-like texture: overlapping brush strokes in the brand colours on paper."""
    size = (900, 900)
    rng = np.random.default_rng(42)
    image = _paper(size, seed=2)
    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    colours = [rgb for _, rgb in BRAND_COLOURS]
    for _ in range(260):
        r, g, b = colours[int(rng.integers(len(colours)))]
        x, y = rng.uniform(-50, size[0] + 50), rng.uniform(-50, size[1] + 50)
        angle = rng.normal(-0.5, 0.35)  # strokes lean the same way, like one hand painted them
        length, width = rng.uniform(60, 220), int(rng.integers(10, 34))
        points = []
        for t in np.linspace(0, 1, 8):
            bend = 18 * math.sin(t * math.pi) * rng.normal(1, 0.2)
            points.append(
                (
                    x + math.cos(angle) * length * t - math.sin(angle) * bend,
                    y + math.sin(angle) * length * t + math.cos(angle) * bend,
                )
            )
        alpha = int(rng.integers(110, 210))
        draw.line(points, fill=(r, g, b, alpha), width=width, joint="curve")
    layer = layer.filter(ImageFilter.GaussianBlur(0.8))
    image = Image.alpha_composite(image.convert("RGBA"), layer).convert("RGB")
    # Bristle streaks: fine noise stretched along the stroke direction.
    rng_streak = np.random.default_rng(7)
    streak = rng_streak.normal(0, 10, (size[1] // 4, size[0] // 24))
    streak_img = Image.fromarray(np.uint8(np.clip(128 + streak, 0, 255))).resize(size)
    streak_img = streak_img.rotate(-28, resample=Image.Resampling.BILINEAR, fillcolor=128)
    offset = (np.asarray(streak_img, dtype=np.float64) - 128)[..., None]
    pixels = np.clip(np.asarray(image, dtype=np.float64) + offset, 0, 255).astype(np.uint8)
    return _png(Image.fromarray(pixels, "RGB"))


@dataclass(frozen=True)
class DemoImage:
    filename: str
    role: str
    name: str
    size: tuple[int, int]
    make: Callable[[], bytes]
    position: tuple[float, float]  # board units, top-left


# Board layout: the sketch (in its "Hero shot" frame) on the left, references to its right.
DEMO_IMAGES: list[DemoImage] = [
    DemoImage(
        "composition-sketch.png",
        AnchorRole.COMPOSITION,
        "Composition sketch",
        (1600, 1000),
        composition_sketch,
        (0, 0),
    ),
    DemoImage(
        "palette-card.png",
        AnchorRole.PALETTE,
        "Brand palette",
        (1200, 480),
        palette_card,
        (1760, 0),
    ),
    DemoImage(
        "lighting-reference.png",
        AnchorRole.LIGHTING,
        "Warm key light",
        (1200, 900),
        lighting_reference,
        (1760, 580),
    ),
    DemoImage(
        "style-reference.png",
        AnchorRole.STYLE,
        "Gouache texture",
        (900, 900),
        style_reference,
        (0, 1160),
    ),
]
FRAME_NAME = "Hero shot"
FRAME_MARGIN = 40


# --- login ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoLogin:
    username: str
    # None when someone changed the demo password since it was generated.
    password: str | None
    path: Path


def login_file() -> Path:
    return Path(settings.DATA_DIR) / LOGIN_FILE


def _read_password(path: Path) -> str | None:
    try:
        for line in path.read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "password" and value.strip():
                return value.strip()
    except OSError:
        return None
    return None


def _write_password(path: Path, password: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Opened with mode 600 from the start, so the password is never world-readable.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(
            "Anchorboard demo login (generated on first start; delete this file and restart\n"
            "to get a new password).\n"
            f"username: {USERNAME}\npassword: {password}\n"
        )
    path.chmod(0o600)  # an older file may have had a wider mode


def ensure_demo_user():
    """The demo user and its login, creating or repairing them as needed."""
    User = get_user_model()
    path = login_file()
    saved = _read_password(path)
    user = User.objects.filter(username=USERNAME).first()
    if user is None:
        password = saved or secrets.token_urlsafe(12)
        user = User.objects.create_user(USERNAME, "demo@example.invalid", password)
        user.first_name, user.last_name = "Demo", "Designer"
        user.save(update_fields=["first_name", "last_name"])
    elif saved is None:
        # The file is gone (or was never written for this database): issue a new password.
        password = secrets.token_urlsafe(12)
        user.set_password(password)
        user.save(update_fields=["password"])
    elif user.check_password(saved):
        password = saved
    else:
        logger.info("demo password was changed by its user; not resetting it")
        return user, DemoLogin(USERNAME, None, path)
    if saved != password:
        _write_password(path, password)
    return user, DemoLogin(USERNAME, password, path)


# --- board ------------------------------------------------------------------------------------


@functools.cache
def image_bytes(spec: DemoImage) -> bytes:
    """The PNG for ``spec``, drawn once per process (drawing takes about a second)."""
    return spec.make()


def _ingest(board: Board, user, data: bytes, filename: str):
    return ingest_bytes(board, user, data, filename, source=AssetSource.DEMO)


def create_demo_board(team: Team, user) -> Board:
    """The demo board with its four anchors and a frame around the sketch."""
    with transaction.atomic():
        board = Board.objects.create(team=team, name=BOARD_NAME, created_by=user)
        BoardMember.objects.create(board=board, user=user, role=Role.OWNER)
        sketch = DEMO_IMAGES[0]
        revision = 1
        Item.objects.create(
            board=board,
            kind=ItemKind.FRAME,
            name=FRAME_NAME,
            x=sketch.position[0] - FRAME_MARGIN,
            y=sketch.position[1] - FRAME_MARGIN,
            width=sketch.size[0] + 2 * FRAME_MARGIN,
            height=sketch.size[1] + 2 * FRAME_MARGIN,
            z=0,
            created_by=user,
            revision=revision,
        )
        cover = None
        for index, spec in enumerate(DEMO_IMAGES, start=1):
            asset = _ingest(board, user, image_bytes(spec), spec.filename)
            cover = cover or asset
            revision += 1
            Item.objects.create(
                board=board,
                kind=ItemKind.IMAGE,
                name=spec.name,
                asset=asset,
                x=spec.position[0],
                y=spec.position[1],
                width=spec.size[0],
                height=spec.size[1],
                z=index,
                anchor_role=spec.role,
                created_by=user,
                revision=revision,
            )
        board.revision = revision
        board.cover = cover
        board.save(update_fields=["revision", "cover"])
    return board


@dataclass(frozen=True)
class DemoResult:
    login: DemoLogin
    board: Board
    created: bool


def seed_demo() -> DemoResult:
    """Create the demo team, user and board unless they exist; safe to run on every start.

    The board is found by team and name: a demo board that was deleted or renamed is
    created again on the next run; an archived one is left as it is.
    """
    with transaction.atomic():
        user, login = ensure_demo_user()
        team = Team.objects.filter(name=TEAM_NAME).order_by("created_at").first()
        if team is None:
            team = Team.objects.create(name=TEAM_NAME)
        TeamMembership.objects.get_or_create(
            team=team, user=user, defaults={"role": TeamRole.ADMIN}
        )
    board = Board.objects.filter(team=team, name=BOARD_NAME).order_by("created_at").first()
    created = board is None
    if board is None:
        board = create_demo_board(team, user)
    return DemoResult(login=login, board=board, created=created)
