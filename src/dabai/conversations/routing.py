from django.urls import path

from dabai.conversations.consumers import ConversationConsumer, InboxConsumer

websocket_urlpatterns = [
    path("ws/inbox/", InboxConsumer.as_asgi()),
    path("ws/conversations/<int:pk>/", ConversationConsumer.as_asgi()),
]
