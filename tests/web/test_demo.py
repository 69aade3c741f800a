"""Demo data: idempotent seeding, the saved login, and the generated anchor images."""

from __future__ import annotations

import io
import stat

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from PIL import Image

from assets.models import Asset, AssetSource
from assets.services import open_original
from canvas import demo
from canvas.models import AnchorRole, Board, Item, ItemKind, Team
from canvas.permissions import Role, role_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_env(settings, tmp_path, media_root):
    """Demo seeding against an empty data folder and an empty media folder."""
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR


def test_seed_twice_gives_one_board_the_same_user_and_a_private_login(demo_env, client):
    first = demo.seed_demo()
    second = demo.seed_demo()
    assert first.created and not second.created
    assert first.board.pk == second.board.pk
    assert Board.objects.filter(name=demo.BOARD_NAME).count() == 1
    assert Team.objects.filter(name=demo.TEAM_NAME).count() == 1
    assert get_user_model().objects.filter(username="demo").count() == 1
    assert Asset.objects.filter(board=first.board).count() == len(demo.DEMO_IMAGES)
    assert first.login.password == second.login.password

    path = demo_env / "demo-login.txt"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert f"password: {first.login.password}" in path.read_text()
    assert client.login(username="demo", password=first.login.password)
    assert demo.BOARD_NAME in client.get("/").content.decode()


def test_lost_login_file_gets_a_new_working_password(demo_env, client):
    old = demo.seed_demo().login.password
    (demo_env / "demo-login.txt").unlink()
    new = demo.seed_demo().login.password
    assert new and new != old
    assert client.login(username="demo", password=new)


def test_password_changed_by_user_is_not_reset(demo_env):
    demo.seed_demo()
    user = get_user_model().objects.get(username="demo")
    user.set_password("mine and only mine 9")
    user.save()
    assert demo.seed_demo().login.password is None
    user.refresh_from_db()
    assert user.check_password("mine and only mine 9")


def test_board_has_all_anchor_roles_a_frame_and_real_pngs(demo_env):
    board = demo.seed_demo().board
    items = list(Item.objects.filter(board=board, deleted=False))
    images = [i for i in items if i.kind == ItemKind.IMAGE]
    assert {i.anchor_role for i in images} == set(AnchorRole.values)
    assert all(i.asset and i.asset.source == AssetSource.DEMO for i in images)
    frame = next(i for i in items if i.kind == ItemKind.FRAME)
    sketch = next(i for i in images if i.anchor_role == AnchorRole.COMPOSITION)
    assert frame.name == "Hero shot"
    assert frame.x < sketch.x and frame.y < sketch.y
    assert frame.x + frame.width > sketch.x + sketch.width
    assert frame.y + frame.height > sketch.y + sketch.height
    board.refresh_from_db()
    assert board.revision == max(i.revision for i in items) == len(items)
    assert board.cover == sketch.asset
    user = get_user_model().objects.get(username="demo")
    assert role_for(user, board) == Role.OWNER

    for spec in demo.DEMO_IMAGES:
        asset = Asset.objects.get(board=board, filename=spec.filename)
        item = next(i for i in images if i.asset_id == asset.pk)
        assert item.anchor_role == spec.role
        assert (item.width, item.height) == spec.size
        with open_original(asset) as handle:
            image = Image.open(io.BytesIO(handle.read()))
            image.load()
        assert image.format == "PNG"
        assert image.size == spec.size
        assert (asset.blob.width, asset.blob.height) == spec.size
        # Not a blank canvas: a drawing has real tonal range.
        pixels = np.asarray(image.convert("L"), dtype=np.float64)
        assert pixels.std() > 8, spec.filename


def test_images_are_deterministic():
    for spec in demo.DEMO_IMAGES:
        assert spec.make() == spec.make(), spec.filename


def test_palette_card_shows_the_brand_colours():
    image = Image.open(io.BytesIO(demo.palette_card())).convert("RGB")
    found = {image.getpixel((x, 230)) for x in range(0, image.width, 4)}
    for _name, rgb in demo.BRAND_COLOURS:
        assert rgb in found


def test_lighting_comes_from_the_upper_left():
    image = Image.open(io.BytesIO(demo.lighting_reference())).convert("L")
    pixels = np.asarray(image, dtype=np.float64)
    h, w = pixels.shape
    assert pixels[: h // 4, : w // 4].mean() > pixels[-h // 4 :, -w // 4 :].mean() + 40


def test_seed_demo_command_prints_the_login(demo_env, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    password = demo.login_file().read_text().split("password: ")[1].strip()
    assert "Created demo board" in out
    assert f"demo / {password}" in out
    call_command("seed_demo")
    assert "Found demo board" in capsys.readouterr().out
