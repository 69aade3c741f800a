"""`{% vite_entry "src/main.ts" %}`: script and stylesheet tags for a built frontend entry.

Reads frontend/dist/.vite/manifest.json (written by `npm run build`) and emits tags whose
URLs go through Django's `static()`, so they pick up hashed names and CDN prefixes from the
configured staticfiles storage. It must not build anything or talk to a Vite dev server:
the committed build is the only thing served.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from django import template
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.templatetags.static import static
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from foundation import config, knobs

register = template.Library()

MANIFEST_PATH = Path(settings.BASE_DIR) / "frontend" / "dist" / ".vite" / "manifest.json"


def manifest_path() -> Path:
    return Path(config.read(knobs.VITE_MANIFEST_PATH) or MANIFEST_PATH)


@lru_cache(maxsize=4)
def _load(path: str, mtime_ns: int) -> dict:
    # Keyed by mtime so a rebuild is picked up without restarting the server.
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def load_manifest() -> dict:
    path = manifest_path()
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise ImproperlyConfigured(
            f"The frontend build is missing ({path}). Run `npm ci && npm run build` in frontend/."
        ) from None
    return _load(str(path), mtime)


def _css_files(manifest: dict, key: str, seen: set[str]) -> list[str]:
    """CSS of an entry and of the chunks it imports, each once, dependencies first."""
    if key in seen or key not in manifest:
        return []
    seen.add(key)
    chunk = manifest[key]
    out: list[str] = []
    for dep in chunk.get("imports", []):
        out += _css_files(manifest, dep, seen)
    out += chunk.get("css", [])
    return out


@register.simple_tag
def vite_entry(name: str) -> SafeString:
    manifest = load_manifest()
    if name not in manifest:
        raise ImproperlyConfigured(
            f"{name!r} is not an entry of the frontend build; entries: {sorted(manifest)}."
        )
    chunk = manifest[name]
    css = list(dict.fromkeys(_css_files(manifest, name, set())))
    preloads = [manifest[dep]["file"] for dep in chunk.get("imports", []) if dep in manifest]
    links = format_html_join("\n", '<link rel="stylesheet" href="{}">', ((static(f),) for f in css))
    modulepreloads = format_html_join(
        "\n", '<link rel="modulepreload" href="{}">', ((static(f),) for f in preloads)
    )
    script = format_html('<script type="module" src="{}"></script>', static(chunk["file"]))
    return format_html("{}\n{}\n{}", links, modulepreloads, script)
