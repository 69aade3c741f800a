"""What drift scoring reads of a board's brand kit: reference images and palette colours.

The kit's reference images join the board's anchors of their role (palette, lighting,
composition, style), and its
named colours become ``ReferenceColour``s with the kit's own ΔE2000 tolerance. Both are
part of the reference set's fingerprint (the images' bytes, the colours and tolerances),
so a kit edit that changes them starts a new series of scores — and a re-score of the
boards using it — while the old rows stay as the record; an edit of the template or locks
changes neither.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from skimage.color import rgb2lab

from canvas.governance.kits.content import KitContent
from canvas.governance.kits.models import BrandKitReference, BrandKitVersion
from canvas.governance.kits.services import board_kit
from canvas.governance.metrics.palette import ReferenceColour
from canvas.models import Board


@dataclass(frozen=True)
class KitImage:
    """A kit reference where scoring expects an Asset (``pk``, ``blob``, ``blob_id``)."""

    pk: str
    blob: Any
    filename: str

    @property
    def blob_id(self) -> str:
        return str(self.blob.pk)


@dataclass
class KitReferences:
    version: BrandKitVersion | None = None
    images: dict[str, list[KitImage]] = field(default_factory=dict)
    colours: list[ReferenceColour] = field(default_factory=list)

    def describe(self) -> dict[str, Any] | None:
        if self.version is None:
            return None
        return {"id": str(self.version.kit_id), "version": self.version.number}


def hex_to_lab(hex_colour: str) -> tuple[float, float, float]:
    rgb = np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)], dtype=np.float64)
    lab = rgb2lab(rgb.reshape(1, 1, 3)).reshape(3)
    return (float(lab[0]), float(lab[1]), float(lab[2]))


def kit_references(board: Board, roles: tuple[str, ...]) -> KitReferences:
    """The board's kit (its version in use) as scoring references; empty without a kit."""
    version = board_kit(board)
    if version is None:
        return KitReferences()
    content = KitContent.model_validate(version.content)
    wanted = [r for r in content.references if r.role in roles]
    rows = BrandKitReference.objects.filter(
        kit_id=version.kit_id, pk__in=[r.id for r in wanted]
    ).select_related("blob")
    by_id = {str(row.pk): row for row in rows}
    images: dict[str, list[KitImage]] = {}
    for ref in wanted:
        row = by_id.get(ref.id)
        if row is not None:
            images.setdefault(ref.role, []).append(
                KitImage(f"kit:{ref.id}", row.blob, row.filename)
            )
    colours = [
        ReferenceColour(lab=hex_to_lab(c.hex), tolerance=c.tolerance, name=c.name)
        for c in content.palette
    ]
    return KitReferences(version, images, colours)
