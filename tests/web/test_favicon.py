"""The app has an icon: every page names it, and /favicon.ico (asked by browsers where a
page names none) leads to it instead of a 404."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from PIL import Image

pytestmark = pytest.mark.django_db


def test_pages_name_the_svg_and_png_icons(client):
    response = client.get("/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'rel="icon"' in html and "img/favicon.svg" in html and "img/favicon-32.png" in html
    svg = finders.find("img/favicon.svg")
    assert svg and Path(svg).read_text(encoding="utf-8").lstrip().startswith("<svg")


def test_favicon_ico_redirects_to_a_real_32px_png(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith("img/favicon-32.png")
    path = finders.find("img/favicon-32.png")
    assert path
    image = Image.open(io.BytesIO(Path(path).read_bytes()))
    assert image.format == "PNG" and image.size == (32, 32)
