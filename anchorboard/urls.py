"""Top-level URL routing. Each app owns its own routes; the API lives under /api/v1/."""

from django.contrib import admin
from django.urls import include, path

from anchorboard import health
from anchorboard.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("files/", include("assets.urls")),
    path("", include("canvas.urls")),
]

# HTML pages get HTML error pages, /api/ and JSON callers get {"error": {...}}.
handler400 = "canvas.views.errors.bad_request"
handler403 = "canvas.views.errors.permission_denied"
handler404 = "canvas.views.errors.page_not_found"
handler500 = "canvas.views.errors.server_error"
