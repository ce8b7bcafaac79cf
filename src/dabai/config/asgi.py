"""ASGI entry point: HTTP through Django, WebSockets through Channels (live inbox, chat widget)."""

import gc
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dabai.config.settings")
django.setup(set_prefix=False)

from dabai.core.asgi import SyncChainASGIHandler  # noqa: E402

django_asgi_app = SyncChainASGIHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from dabai.channels.express import ROUTES, ExpressDoors  # noqa: E402
from dabai.config.routing import websocket_urlpatterns  # noqa: E402
from dabai.core.pressure import BusyDoors  # noqa: E402
from dabai.core.static import SafeASGIStaticFilesHandler  # noqa: E402

application = ProtocolTypeRouter(
    {
        # The webhook doors' express lane first (dabai.channels.express), then Django; the background on this
        # machine makes way while the doors are busy (dabai.core.pressure).
        "http": BusyDoors(
            ExpressDoors(SafeASGIStaticFilesHandler(django_asgi_app)), doors=ROUTES.__contains__
        ),
        # Each route checks the page's origin (dabai.config.routing): desk same-origin, widget also its sites.
        "websocket": AuthMiddlewareStack(URLRouter(websocket_urlpatterns)),
    }
)

# Everything imported so far (Django, every app, the filter's libraries: ~180,000 objects) lives as long as
# the process. Left to the cyclic collector, each full collection walks all of it: rare under the doors'
# load, but a 0.1-0.25 s pause for every request in flight when it comes (measured on the bench machine).
# Frozen, collections walk only what requests allocate (~10,000 objects).
gc.freeze()
