"""Top-level URL routing. Each app owns its own routes; the API lives under /api/v1/."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path

from anchorboard import health, prometheus
from anchorboard.api import api


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico where a page names no icon (admin, JSON, files)."""
    return redirect(static("img/favicon-32.png"))


urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("favicon.ico", favicon, name="favicon"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # For an operator's Prometheus, behind a token or a network rule (docs/deploy.md).
    path("metrics", prometheus.metrics, name="metrics"),
    path("files/", include("canvas.library.urls")),
    path("", include("canvas.urls")),
]

# HTML pages get HTML error pages, /api/ and JSON callers get {"error": {...}}.
handler400 = "canvas.views.errors.bad_request"
handler403 = "canvas.views.errors.permission_denied"
handler404 = "canvas.views.errors.page_not_found"
handler500 = "canvas.views.errors.server_error"
