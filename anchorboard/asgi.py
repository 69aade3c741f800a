"""ASGI entry point: Django for HTTP, Channels for the board websockets.

``get_asgi_application()`` runs before any consumer is imported so the app registry is
ready. Websockets are wrapped in ``AllowedHostsOriginValidator`` (a cross-site page
cannot open a socket with the user's cookies) around ``AuthMiddlewareStack``. HTTP goes
through ``RequestBodyGuard`` first: no request body is read before the request is admitted
(size limits; the upload route's caller and role), see anchorboard.asgi_guard.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anchorboard.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from anchorboard.asgi_guard import RequestBodyGuard  # noqa: E402
from canvas.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": RequestBodyGuard(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
