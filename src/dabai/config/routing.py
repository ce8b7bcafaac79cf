"""WebSocket routes; each app contributes its own list, and each route checks the page's origin.

Desk sockets (the live inbox, a conversation's page) answer only pages served by dabai itself: they carry an
agent's session cookie, and a page on another site or port must not ride on it. The chat widget's socket
also answers the websites listed in ``DABAI_WIDGET_ORIGINS``, where the widget is embedded.
"""

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.urls import URLPattern

from dabai.channels import conf as channel_conf
from dabai.channels.routing import websocket_urlpatterns as channel_routes
from dabai.conversations.routing import websocket_urlpatterns as conversation_routes
from dabai.core.origins import is_own_origin, origin_matches


def _header(scope: dict, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin1")
    return ""


class OriginCheck:
    """Let a handshake through when the page's ``Origin`` is ours (or, for the widget, an embedding site)."""

    def __init__(self, application, *, widget: bool = False) -> None:
        self.application = application
        self.widget = widget

    def allowed(self, scope: dict) -> bool:
        origin = _header(scope, b"origin")
        if not origin:
            return False
        host = _header(scope, b"x-forwarded-host") if settings.USE_X_FORWARDED_HOST else ""
        if is_own_origin(origin, host.split(",")[0].strip() or _header(scope, b"host")):
            return True
        return self.widget and origin_matches(origin, channel_conf.widget_origins())

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and self.allowed(scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)


def _checked(routes: list[URLPattern], *, widget: bool = False) -> list[URLPattern]:
    return [
        URLPattern(r.pattern, OriginCheck(r.callback, widget=widget), r.default_args, r.name) for r in routes
    ]


websocket_urlpatterns = [*_checked(conversation_routes), *_checked(channel_routes, widget=True)]
