"""What the API, the pages and the board show of a brand kit (plain dicts, JSON-ready)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from canvas.governance.kits.content import KitContent
from canvas.governance.kits.models import BrandKit, BrandKitVersion


def version_payload(version: BrandKitVersion) -> dict[str, Any]:
    return {
        "number": version.number,
        "name": version.name,
        "created_by": version.created_by_id,
        "created_at": version.created_at.isoformat() if version.created_at else None,
        "content": version.content,
    }


def kit_payload(kit: BrandKit, version: BrandKitVersion) -> dict[str, Any]:
    return {
        "id": str(kit.pk),
        "team": str(kit.team_id),
        "name": kit.name,
        "latest_version": kit.latest_number,
        "created_at": kit.created_at.isoformat() if kit.created_at else None,
        "version": version_payload(version),
    }


def board_kit_payload(version: BrandKitVersion | None, pinned: bool) -> dict[str, Any] | None:
    """The kit a board uses, as its badge shows it (None: no kit): canvas.protocol's
    ``BoardKit`` (the board page's bootstrap, the ``brand_kit`` message and the API)."""
    if version is None:
        return None
    return {
        "id": str(version.kit_id),
        "name": version.name,
        "version": version.number,
        "pinned": pinned,
        "locks": list(version.content.get("locks", [])),
        "engine": version.content.get("engine", ""),
        "strength": version.content.get("settings", {}).get("strength"),
        "variables": _variables(version),
        "url": reverse("brand-kit", args=[version.kit_id]),
    }


def _variables(version: BrandKitVersion) -> list[str]:
    return KitContent.model_validate(version.content).variables()
