"""Constructed test images: flat colour fields, a shaded ball, a disk on paper.

Small and exact on purpose: each test knows what the metric must measure.
"""

from __future__ import annotations

import numpy as np

SIZE = 256


def flat(colours: list[tuple[int, int, int]], shares: list[float], size: int = SIZE) -> np.ndarray:
    """Vertical bands of ``colours`` covering ``shares`` of the width."""
    image = np.zeros((size, size, 3), np.uint8)
    start = 0
    for colour, share in zip(colours, shares, strict=True):
        end = start + round(share * size)
        image[:, start:end] = colour
        start = end
    image[:, start:] = colours[-1]
    return image


def ball(
    light: tuple[float, float, float] = (-0.6, -0.5, 0.62),
    centre: tuple[float, float] = (0.5, 0.5),
    radius: float = 0.25,
    albedo: tuple[float, float, float] = (0.8, 0.25, 0.2),
    backdrop: tuple[float, float, float] = (0.85, 0.85, 0.82),
    gain: tuple[float, float, float] = (1.0, 1.0, 1.0),
    size: int = SIZE,
    band: tuple[float, float, float] | None = None,
) -> np.ndarray:
    """A Lambertian ball on a backdrop, lit from ``light`` (x right, y down, z to the viewer);
    ``band``: the albedo of a label band around its middle."""
    l_vec = np.array(light, dtype=np.float64)
    l_vec /= np.linalg.norm(l_vec)
    ys, xs = np.mgrid[0:size, 0:size]
    dx = ((xs + 0.5) / size - centre[0]) / radius
    dy = ((ys + 0.5) / size - centre[1]) / radius
    inside = dx**2 + dy**2 < 1
    nz = np.sqrt(np.clip(1 - dx**2 - dy**2, 0, 1))
    lambert = np.clip(dx * l_vec[0] + dy * l_vec[1] + nz * l_vec[2], 0, 1)
    shading = 0.25 + 0.75 * lambert
    surface = np.where((np.abs(dy) < 0.3)[..., None], np.array(band or albedo), np.array(albedo))
    image = np.where(
        inside[..., None], surface * shading[..., None], np.array(backdrop)[None, None, :]
    )
    image = image * np.array(gain)
    return (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)


def disk(centre: tuple[float, float], radius: float, size: int = SIZE) -> np.ndarray:
    """A dark filled disk on white paper."""
    ys, xs = np.mgrid[0:size, 0:size]
    inside = ((xs + 0.5) / size - centre[0]) ** 2 + ((ys + 0.5) / size - centre[1]) ** 2 < radius**2
    image = np.full((size, size, 3), 245, np.uint8)
    image[inside] = (40, 60, 120)
    return image


def disk_on(
    colour: tuple[int, int, int],
    backdrop: tuple[int, int, int] = (232, 226, 214),
    centre: tuple[float, float] = (0.5, 0.5),
    radius: float = 0.22,
    size: int = SIZE,
) -> np.ndarray:
    """A flat disk of ``colour`` on a flat ``backdrop``: a subject on its backdrop."""
    ys, xs = np.mgrid[0:size, 0:size]
    inside = ((xs + 0.5) / size - centre[0]) ** 2 + ((ys + 0.5) / size - centre[1]) ** 2 < radius**2
    image = np.empty((size, size, 3), np.uint8)
    image[:] = backdrop
    image[inside] = colour
    return image


def texture(kind: str, size: int = SIZE, seed: int = 0) -> np.ndarray:
    """A grey surface drawn in a medium: ``hatch`` (diagonal pen lines), ``weave`` (canvas
    along the axes) or ``dots`` (a halftone screen), around mid-grey."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float64)
    phase = rng.uniform(0, 2 * np.pi)
    if kind == "hatch":
        pattern = np.sign(np.sin((xs + ys) * 2 * np.pi / 10 + phase))
    elif kind == "weave":
        pattern = np.sin(xs * 2 * np.pi / 8 + phase) * np.sign(np.sin(ys * 2 * np.pi / 16))
    else:
        pattern = np.cos(xs * 2 * np.pi / 9 + phase) * np.cos(ys * 2 * np.pi / 9)
    grey = np.clip(0.55 + 0.12 * pattern, 0, 1)
    return (np.repeat(grey[..., None], 3, axis=2) * 255 + 0.5).astype(np.uint8)
