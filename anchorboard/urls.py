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
