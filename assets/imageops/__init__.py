"""Pixel operations on PIL images: colour, lighting, inpainting, upscaling, variations, masks.

Pure functions of their arguments (plus an explicit seed where randomness is wanted): no
database, no storage, no Django settings, no network. Engines and exports call them.
"""
