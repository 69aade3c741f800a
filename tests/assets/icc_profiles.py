"""Display P3 and Adobe RGB (1998) ICC profiles built in the test (matrix/TRC, ICC v2), and
the reference conversions to sRGB in plain NumPy, so the export tests need no profile files
and check LittleCMS against independent arithmetic."""

from __future__ import annotations

import struct

import numpy as np

P3_PRIMARIES = np.array([[0.680, 0.320], [0.265, 0.690], [0.150, 0.060]])
ADOBE_PRIMARIES = np.array([[0.640, 0.330], [0.210, 0.710], [0.150, 0.060]])
ADOBE_GAMMA = 563 / 256  # 2.19921875, as Adobe's profile stores it (u8Fixed8)
SRGB_PRIMARIES = np.array([[0.640, 0.330], [0.300, 0.600], [0.150, 0.060]])
D65 = np.array([0.3127, 0.3290])
D50_XYZ = np.array([0.9642, 1.0, 0.8249])
BRADFORD = np.array(
    [[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]]
)


def _xyz(xy: np.ndarray) -> np.ndarray:
    return np.array([xy[0] / xy[1], 1.0, (1 - xy[0] - xy[1]) / xy[1]])


def rgb_to_xyz(primaries: np.ndarray, white: np.ndarray = D65) -> np.ndarray:
    """The 3×3 linear-RGB → XYZ matrix of an RGB space (columns are the primaries)."""
    columns = np.stack([_xyz(p) for p in primaries], axis=1)
    return columns * np.linalg.solve(columns, _xyz(white))


def srgb_decode(values: np.ndarray) -> np.ndarray:
    return np.where(values <= 0.04045, values / 12.92, ((values + 0.055) / 1.055) ** 2.4)


def srgb_encode(values: np.ndarray) -> np.ndarray:
    values = np.clip(values, 0.0, 1.0)
    return np.where(values <= 0.0031308, values * 12.92, 1.055 * values ** (1 / 2.4) - 0.055)


def p3_to_srgb(rgb: np.ndarray) -> np.ndarray:
    """8-bit Display P3 pixels → float sRGB 0–1 (same white, so no adaptation), clipped."""
    linear = srgb_decode(rgb.astype(np.float64) / 255.0)  # P3 uses the sRGB curve
    matrix = np.linalg.solve(rgb_to_xyz(SRGB_PRIMARIES), rgb_to_xyz(P3_PRIMARIES))
    return srgb_encode(linear @ matrix.T)


def adobe_rgb_to_srgb(rgb: np.ndarray) -> np.ndarray:
    """Adobe RGB (1998) pixels as float 0–1 → float sRGB 0–1 (D65 both), clipped."""
    linear = np.clip(rgb.astype(np.float64), 0.0, 1.0) ** ADOBE_GAMMA
    matrix = np.linalg.solve(rgb_to_xyz(SRGB_PRIMARIES), rgb_to_xyz(ADOBE_PRIMARIES))
    return srgb_encode(linear @ matrix.T)


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz_tag(xyz: np.ndarray) -> bytes:
    return b"XYZ \x00\x00\x00\x00" + b"".join(_s15(v) for v in xyz)


def _text_description(text: str) -> bytes:
    ascii_text = text.encode("ascii") + b"\x00"
    body = b"desc\x00\x00\x00\x00" + struct.pack(">I", len(ascii_text)) + ascii_text
    return body + b"\x00" * 8 + b"\x00\x00\x00" + b"\x00" * 67  # no Unicode, no ScriptCode


def display_p3_profile() -> bytes:
    """An ICC v2 display profile for Display P3 (D50 PCS, Bradford-adapted colorants)."""
    curve = srgb_decode(np.linspace(0.0, 1.0, 1024))
    trc = b"curv\x00\x00\x00\x00" + struct.pack(">I", 1024)
    trc += np.rint(curve * 65535).astype(">u2").tobytes()
    return matrix_profile("Display P3 (test)", P3_PRIMARIES, trc)


def adobe_rgb_profile() -> bytes:
    """An ICC v2 display profile for Adobe RGB (1998): its primaries, a pure 2.2 gamma."""
    trc = b"curv\x00\x00\x00\x00" + struct.pack(">IH", 1, round(ADOBE_GAMMA * 256))
    return matrix_profile("Adobe RGB 1998 (test)", ADOBE_PRIMARIES, trc)


def matrix_profile(description: str, primaries: np.ndarray, trc: bytes) -> bytes:
    """An ICC v2 matrix/TRC display profile of a D65 RGB space (D50 PCS, Bradford)."""
    cone = BRADFORD @ D50_XYZ / (BRADFORD @ _xyz(D65))
    adapt = np.linalg.inv(BRADFORD) @ np.diag(cone) @ BRADFORD
    colorants = adapt @ rgb_to_xyz(primaries)
    tags = [
        (b"desc", _text_description(description)),
        (b"cprt", b"text\x00\x00\x00\x00No copyright, test data\x00"),
        (b"wtpt", _xyz_tag(D50_XYZ)),
        (b"rXYZ", _xyz_tag(colorants[:, 0])),
        (b"gXYZ", _xyz_tag(colorants[:, 1])),
        (b"bXYZ", _xyz_tag(colorants[:, 2])),
        (b"rTRC", trc),
        (b"gTRC", trc),
        (b"bTRC", trc),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, body in tags:
        padded = body + b"\x00" * (-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += padded
    size = offset + len(data)
    header = struct.pack(">I", size) + b"lcms" + bytes([2, 0x10, 0, 0])
    header += b"mntrRGB XYZ " + struct.pack(">6H", 2026, 1, 1, 0, 0, 0) + b"acsp"
    header += b"\x00" * 24  # platform, flags, manufacturer, model, attributes
    header += struct.pack(">I", 0) + b"".join(_s15(v) for v in D50_XYZ)
    header += b"\x00" * (128 - len(header))
    return header + struct.pack(">I", len(tags)) + table + data
