"""WebSocket consumers: they only relay "something changed" events to people allowed to see them."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from dabai.accounts.permissions import is_desk_user, visible_conversations
from dabai.conversations.live import INBOX_GROUP, conversation_group
from dabai.conversations.models import Conversation


class InboxConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if not (user and await database_sync_to_async(is_desk_user)(user)):
            await self.close(code=4403)
            return
        await self.channel_layer.group_add(INBOX_GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(INBOX_GROUP, self.channel_name)

    async def conversation_event(self, event: dict) -> None:
        await self.send_json({"kind": event["kind"], "conversation_id": event["conversation_id"]})


class ConversationConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.conversation_id = int(self.scope["url_route"]["kwargs"]["pk"])
        user = self.scope.get("user")
        if not (user and await self._may_view(user)):
            await self.close(code=4403)
            return
        self.group = conversation_group(self.conversation_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    @database_sync_to_async
    def _may_view(self, user) -> bool:
        return visible_conversations(user, Conversation.objects.filter(pk=self.conversation_id)).exists()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def conversation_event(self, event: dict) -> None:
        await self.send_json({k: v for k, v in event.items() if k != "type"})
