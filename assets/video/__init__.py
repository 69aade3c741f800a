"""Video pixels and files: encoding, decoding, probing, the local loop generator, drift scores.

Pure functions over NumPy frames (H×W×3 or H×W×4 uint8, sRGB code values) and file paths:
no database, no storage, no Django settings, no network, and never ``canvas``. Engines,
jobs and exports call them. FFmpeg comes in-process through PyAV (see docs/video.md).
"""
