"""The versioned JSON API (/api/v1/): one NinjaAPI, routers from each app."""

from ninja import NinjaAPI

api = NinjaAPI(title="Anchorboard API", version="1", urls_namespace="api-v1")
