"""A board's fallback chain as one ordered list: what the API and the generation panel show.

The stored form (``BoardEngineFallbacks.chains``, see canvas/engines/providers/resilience.py)
maps each engine to the engines to try after it. A designer thinks in one preference
order instead — "Nano Banana Pro, then ComfyUI, then local" — so a chain ``[a, b, c]`` is
stored as ``{a: [b, c], b: [c]}``: each engine falls back to the ones after it. An empty
chain opts the board out (jobs wait for their own engine).

The caller has checked the user's role; this module never decides permissions.
"""

from __future__ import annotations

from typing import Any

from canvas.engines.providers.resilience import InvalidFallbacks, set_board_fallbacks
from canvas.models import Board
from canvas.models.providers import BoardEngineFallbacks

# More than this is a mistake rather than a plan: every candidate is tried in turn.
MAX_CHAIN = 8


def read_chain(board: Board) -> dict[str, Any]:
    """``{"chain": [...], "enabled": bool}``; ``[]`` when the board has not opted in."""
    row = BoardEngineFallbacks.objects.filter(board=board).first()
    if row is None or not row.enabled:
        return {"chain": [], "enabled": False}
    chains = row.chains if isinstance(row.chains, dict) else {}
    # The head is the engine with the longest list; rows written through another path
    # (set_board_fallbacks with several independent chains) show their longest chain.
    lists = [(k, v) for k, v in chains.items() if isinstance(v, list)]
    if not lists:
        return {"chain": [], "enabled": True}
    head, rest = max(lists, key=lambda kv: len(kv[1]))
    return {"chain": [head, *[n for n in rest if isinstance(n, str)]], "enabled": True}


def save_chain(board: Board, chain: list[str]) -> dict[str, Any]:
    """Store ``chain`` (checked against the engine registry) and return what ``read_chain`` says."""
    names = [name.strip() for name in chain]
    if not names:
        set_board_fallbacks(board, {}, enabled=False)
        return read_chain(board)
    if any(not name for name in names):
        raise InvalidFallbacks("An engine name in the chain is empty; pick engines from the list.")
    if len(names) == 1:
        raise InvalidFallbacks(
            "A fallback chain needs at least two engines: the one you use first and one to "
            "try when it is unavailable. Send an empty chain to switch fallbacks off."
        )
    if len(names) > MAX_CHAIN:
        raise InvalidFallbacks(
            f"A fallback chain can have at most {MAX_CHAIN} engines; remove some."
        )
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InvalidFallbacks(f"{name} appears twice in the chain; list each engine once.")
        seen.add(name)
    chains = {name: names[i + 1 :] for i, name in enumerate(names[:-1])}
    set_board_fallbacks(board, chains, enabled=True)  # checks every name exists
    return read_chain(board)
