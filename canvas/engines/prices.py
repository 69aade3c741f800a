"""The operator's price table (ANCHORBOARD_ENGINE_PRICES), read in one place.

Entries are ``0.039 USD/image``, ``0.02 USD/mp`` (per megapixel of output) or, for video
engines, ``0.10 USD/second`` (per second of delivered clip), keyed by
engine name or by provider — the engine name's first word, ``gemini`` for
``gemini-2.5-flash-image``. An engine without a price has none (``None``), never 0: a
free-looking number would be worse than none. Batch estimates (canvas.batches.estimates)
and the provider-call records (canvas.engines.providers.resilience) both price through
here, so an estimate and what a call is recorded as costing use the same table.

This module reads settings only: no database, no network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from foundation import knobs
from foundation.config import read

PRICE = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]{3})\s*/\s*(image|mp|second)\s*$", re.IGNORECASE
)


@dataclass(frozen=True)
class Price:
    amount: float
    currency: str
    unit: str  # "image", "mp" (per megapixel of output) or "second" (of video)

    def cost(self, images: int, megapixels: float, seconds: float = 0.0) -> Decimal:
        """What ``images`` results totalling ``megapixels`` (and ``seconds`` of clips)
        cost at this price (5 places)."""
        quantity = {"image": images, "mp": megapixels, "second": seconds}[self.unit]
        return Decimal(f"{self.amount * quantity:.5f}")


def provider_of(engine: str) -> str:
    """The price table's provider key for an engine name: its first word."""
    return engine.split("-", 1)[0]


def price_for(engine: str) -> Price | None:
    """The engine's price from the table (its own entry first, then its provider's)."""
    table = read(knobs.ENGINE_PRICES)
    text = table.get(engine, table.get(provider_of(engine)))
    if text is None:
        return None
    match = PRICE.match(str(text))
    if match is None:
        return None  # a malformed entry is no price, not a crash of every dry run
    return Price(float(match[1]), match[2].upper(), match[3].lower())
