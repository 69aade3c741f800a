"""The `vite_entry` template tag turns the build manifest into script/link tags."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.template import Context, Template

from canvas.templatetags import vite as vite_tag


def render(entry: str = "src/main.ts") -> str:
    return Template('{% load vite %}{% vite_entry "' + entry + '" %}').render(Context())


@pytest.fixture
def manifest(tmp_path, settings):
    path = tmp_path / "manifest.json"
    settings.VITE_MANIFEST_PATH = path

    def write(data: dict) -> None:
        path.write_text(json.dumps(data))

    return write


def test_emits_module_script_css_and_preloads_under_static(manifest):
    manifest(
        {
            "src/main.ts": {
                "file": "assets/main-abc.js",
                "isEntry": True,
                "css": ["assets/main-abc.css"],
                "imports": ["_konva-123.js"],
            },
            "_konva-123.js": {"file": "assets/konva-123.js", "css": ["assets/k.css"]},
        }
    )
    html = render()
    assert '<script type="module" src="/static/assets/main-abc.js"></script>' in html
    assert '<link rel="stylesheet" href="/static/assets/main-abc.css">' in html
    assert '<link rel="modulepreload" href="/static/assets/konva-123.js">' in html
    # Imported chunks' CSS comes before the entry's own.
    assert html.index("assets/k.css") < html.index("assets/main-abc.css")


def test_picks_up_a_rebuild_without_restart(manifest):
    manifest({"src/main.ts": {"file": "assets/main-1.js", "isEntry": True}})
    assert "main-1.js" in render()
    manifest({"src/main.ts": {"file": "assets/main-2.js", "isEntry": True}})
    # Different content and (usually) mtime; clear the cache to not depend on mtime resolution.
    vite_tag._load.cache_clear()
    assert "main-2.js" in render()


def test_missing_build_says_how_to_build(settings, tmp_path):
    settings.VITE_MANIFEST_PATH = tmp_path / "nope.json"
    with pytest.raises(ImproperlyConfigured, match=r"npm run build"):
        render()


def test_unknown_entry_lists_entries(manifest):
    manifest({"src/main.ts": {"file": "assets/main-1.js", "isEntry": True}})
    with pytest.raises(ImproperlyConfigured, match=r"src/main\.ts"):
        render("src/other.ts")


def test_committed_build_has_the_board_entry():
    """The repository ships a build; the board page depends on this entry existing."""
    vite_tag._load.cache_clear()
    manifest = vite_tag.load_manifest()
    entry = manifest["src/main.ts"]
    assert entry["isEntry"] is True
    assert (vite_tag.MANIFEST_PATH.parent.parent / entry["file"]).exists()
