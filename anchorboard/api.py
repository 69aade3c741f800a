"""The versioned JSON API (/api/v1/): one NinjaAPI, routers from each app.

- Endpoints live with their app (``canvas.api``, ``canvas.library.api``); ``/auth/token`` lives in
  ``canvas.members.api_auth``. This module only assembles them.
- Auth: bearer token or browser session (+CSRF), for every endpoint unless it opts out.
- Errors: always ``{"error": {"code", "message"}}`` (``foundation.api_errors``), including
  unknown URLs under /api/v1/ and unsupported methods.
- Schema at ``/api/v1/schema``, browsable docs at ``/api/v1/docs``; see docs/api.md.

A breaking change to a payload means /api/v2/, not an edit here.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, URLResolver, path, re_path
from ninja import NinjaAPI

from canvas.api import router as canvas_router
from canvas.api_fallbacks import router as fallbacks_router
from canvas.api_jobs import router as jobs_router
from canvas.batches.api import router as batches_router
from canvas.exports.api import router as exports_router
from canvas.governance.api import router as governance_router
from canvas.governance.kits.api import router as kits_router
from canvas.library.api import router as assets_router
from canvas.members import api_auth
from canvas.members.api import router as members_router
from canvas.ops.api import router as ops_router
from canvas.pilot.api import router as pilot_router
from canvas.review.api import router as review_router
from canvas.review.matrix_api import router as matrix_router
from canvas.sharing.api import router as sharing_router
from canvas.webhooks.api import router as webhooks_router
from foundation.api_errors import (
    install_error_handlers,
    json_errors_for_django_responses,
    unknown_route,
)

# Endpoints keep the OpenAPI operation ids they had before they moved into their rooms
# (canvas/review, canvas/sharing), so clients generated from the schema see no renamed calls.
MOVED_ENDPOINT_MODULES = {
    "canvas.review.api": "canvas.api_review",
    "canvas.sharing.api": "canvas.api_review",
}


class AnchorboardAPI(NinjaAPI):
    """NinjaAPI whose URL list also answers wrong methods and unknown paths in JSON."""

    def get_openapi_operation_id(self, operation: Any) -> str:
        module = operation.view_func.__module__
        module = MOVED_ENDPOINT_MODULES.get(module, module)
        return f"{module}_{operation.view_func.__name__}".replace(".", "_")

    def _get_urls(self) -> list[URLPattern | URLResolver]:
        urls: list[URLPattern | URLResolver] = []
        for pattern in super()._get_urls():
            if isinstance(pattern, URLPattern):
                if pattern.name == "api-root":
                    continue  # replaced by ``index`` below
                pattern.callback = json_errors_for_django_responses(pattern.callback)
            urls.append(pattern)
        urls.append(path("", index, name="api-root"))
        # Must stay last: anything that matched no endpoint above.
        urls.append(re_path(r"^.*$", unknown_route, name="unknown"))
        return urls


def index(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "name": api.title,
            "version": api.version,
            "docs": request.build_absolute_uri("docs"),
            "schema": request.build_absolute_uri("schema"),
        }
    )


api = AnchorboardAPI(
    title="Anchorboard API",
    version="1",
    description="Boards, assets and tokens of Anchorboard. Guide: docs/api.md.",
    urls_namespace="api-v1",
    openapi_url="/schema",
    docs_url="/docs",
    auth=api_auth.default_auth,
)
install_error_handlers(api)
api.add_router("/auth", api_auth.router)
api.add_router("", canvas_router)
api.add_router("", assets_router)
api.add_router("", jobs_router)
api.add_router("", batches_router)
api.add_router("", review_router)
api.add_router("", matrix_router)
api.add_router("", sharing_router)
api.add_router("", fallbacks_router)
api.add_router("", members_router)
api.add_router("", governance_router)
api.add_router("", kits_router)
api.add_router("", webhooks_router)
api.add_router("", exports_router)
api.add_router("", ops_router)
api.add_router("", pilot_router)
