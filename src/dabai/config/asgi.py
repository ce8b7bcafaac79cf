"""ASGI entry point: HTTP through Django, WebSockets through Channels (live inbox, chat widget)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dabai.config.settings")
django.setup(set_prefix=False)

from dabai.core.asgi import SyncChainASGIHandler  # noqa: E402

django_asgi_app = SyncChainASGIHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from dabai.channels.express import ExpressDoors  # noqa: E402
from dabai.config.routing import websocket_urlpatterns  # noqa: E402
from dabai.core.static import SafeASGIStaticFilesHandler  # noqa: E402

application = ProtocolTypeRouter(
    {
        # The webhook doors' express lane first (dabai.channels.express), then Django.
        "http": ExpressDoors(SafeASGIStaticFilesHandler(django_asgi_app)),
        # Each route checks the page's origin (dabai.config.routing): desk same-origin, widget also its sites.
        "websocket": AuthMiddlewareStack(URLRouter(websocket_urlpatterns)),
    }
)
