"""WebSocket routes; each app contributes its own list."""

from dabai.channels.routing import websocket_urlpatterns as channel_routes
from dabai.conversations.routing import websocket_urlpatterns as conversation_routes

websocket_urlpatterns = [*conversation_routes, *channel_routes]
