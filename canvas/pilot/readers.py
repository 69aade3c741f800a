"""Independent readers for the export test: does each file open in a studio's tools?

Each reader is a library the export pipeline does not write with (psd-tools for the PSD,
tifffile for the TIFF, zipfile + json + csv for the package, pypdf for the contact sheet),
so a file that opens here opens because it follows its format, not because the writer
reads back its own quirks. A reader takes a seekable binary file and returns
``(opened, detail)``: what it saw in words, or why the file did not open. It never raises
for a bad file (a broken file is the finding, not an error). No Django, no storage.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from typing import IO, Any

Reading = tuple[bool, str]


def _failed(exc: Exception) -> Reading:
    text = str(exc).strip() or exc.__class__.__name__
    return False, f"{exc.__class__.__name__}: {text[:300]}"


def read_psd(fp: IO[bytes]) -> Reading:
    from psd_tools import PSDImage

    try:
        psd = PSDImage.open(fp)
        layers = list(psd.descendants())
        pixel_layers = [layer for layer in layers if not layer.is_group()]
        for layer in pixel_layers:
            layer.topil()  # each layer's pixels decode
        flat = psd.topil()
        if flat is None:
            return False, "The PSD has no merged image (tools show it blank until re-saved)."
    except Exception as exc:
        return _failed(exc)
    mode = psd.color_mode.name
    return True, f"{len(pixel_layers)} layers, {psd.width}×{psd.height}, {psd.depth}-bit {mode}"


def read_tiff16(fp: IO[bytes], expected: Any = None) -> Reading:
    """The TIFF opens and holds 16-bit samples; given ``expected`` (the 8-bit pixels of
    the image it was made from, height × width × channels), they are that image's pixels
    widened to 16 bits, within rounding (each sample ÷ 257 at most 1 away)."""
    import tifffile

    try:
        with tifffile.TiffFile(fp) as tif:
            page = tif.pages[0]
            pixels = page.asarray()
            dtype, shape = str(pixels.dtype), pixels.shape
    except Exception as exc:
        return _failed(exc)
    if dtype != "uint16":
        return False, f"The TIFF opened but holds {dtype} samples, not 16-bit."
    seen = f"16-bit TIFF, {shape[1]}×{shape[0]}, {shape[2] if len(shape) > 2 else 1} channels"
    return (True, seen) if expected is None else _same_pixels(pixels, expected, seen)


def _same_pixels(pixels: Any, expected: Any, seen: str) -> Reading:
    import numpy as np

    eight = np.rint(np.atleast_3d(pixels).astype(np.float64) / 257.0)
    wanted = np.atleast_3d(np.asarray(expected)).astype(np.float64)
    if eight.shape[:2] != wanted.shape[:2]:
        size = f"{wanted.shape[1]}×{wanted.shape[0]}"
        return False, f"{seen}, but the result it was made from is {size}."
    channels = min(eight.shape[2], wanted.shape[2])  # an opaque alpha is not written
    worst = int(np.abs(eight[..., :channels] - wanted[..., :channels]).max())
    if worst > 1:
        return False, f"{seen}, but its pixels differ from the result's by up to {worst} of 255."
    return True, f"{seen}; its pixels are the result's (within {worst} of 255)"


def read_zip(fp: IO[bytes]) -> Reading:
    """The archive is sound, its manifest.json and manifest.csv parse, and every file the
    manifest lists is in the archive with the size and SHA-256 it states."""
    try:
        with zipfile.ZipFile(fp) as archive:
            broken = archive.testzip()
            if broken is not None:
                return False, f"{broken} is damaged inside the archive (CRC mismatch)."
            names = set(archive.namelist())
            for needed in ("manifest.json", "manifest.csv"):
                if needed not in names:
                    return False, f"The package has no {needed}."
            manifest = json.loads(archive.read("manifest.json"))
            rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8"))))
            files = manifest.get("files") or []
            if len(rows) != len(files):
                return False, (
                    f"manifest.csv lists {len(rows)} files and manifest.json {len(files)}."
                )
            for record in files:
                name = record["file_name"]
                if name not in names:
                    return False, f"The manifest lists {name}, which is not in the archive."
                data = archive.read(name)
                if hashlib.sha256(data).hexdigest() != record["sha256"]:
                    return False, f"{name}'s SHA-256 differs from the manifest's."
    except Exception as exc:
        return _failed(exc)
    return True, f"{len(files)} files, manifest.json and manifest.csv agree, hashes match"


def read_pdf(fp: IO[bytes]) -> Reading:
    from pypdf import PdfReader

    try:
        reader = PdfReader(fp)
        pages = len(reader.pages)
        images = sum(len(page.images) for page in reader.pages)
    except Exception as exc:
        return _failed(exc)
    if pages == 0:
        return False, "The PDF has no pages."
    if images == 0:
        return False, f"The PDF has {pages} page(s) but no images on them."
    return True, f"{pages} page(s), {images} images"


READERS: dict[str, tuple[str, Callable[[IO[bytes]], Reading]]] = {
    "psd": ("psd-tools", read_psd),
    "tiff16": ("tifffile", read_tiff16),
    "zip": ("zipfile+json+csv", read_zip),
    "pdf": ("pypdf", read_pdf),
}
