"""Asset endpoints of the JSON API (filled in once assets.services lands)."""

from ninja import Router

router = Router(tags=["assets"])
