"""The Anchorboard Django project: settings, URL routing, ASGI entry point."""
