"""Brand governance: consistency scores of results against a board's anchors, drift flags.

``metrics/`` is the pixel maths (NumPy, scikit-image, OpenCV, colour-science; no Django):
one module per role (palette, lighting, composition, style) and the calibration of drift
thresholds. ``references`` turns anchors into reference features, ``scoring`` scores
batches, ``models``/``services``/``tasks``/``api`` are the Django edges. See docs/governance.md.
"""
