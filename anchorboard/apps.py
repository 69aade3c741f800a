"""App configuration of the project package itself (no models live here)."""

from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    """Django's admin, served by our site class (throttled sign-in: password_pages.py)."""

    default_site = "foundation.password_pages.AnchorboardAdminSite"
