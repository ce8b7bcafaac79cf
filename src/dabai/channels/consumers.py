"""The chat widget's WebSocket: the visitor's messages in, agent replies out."""

import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from dabai.channels import chat, conf

logger = logging.getLogger(__name__)


class ChatConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        cookie = self.scope.get("cookies", {}).get(conf.chat_cookie_name())
        self.visitor = await database_sync_to_async(chat.visitor_from_cookie)(cookie)
        if self.visitor is None:
            await self.close(code=4401)
            return
        self.group = chat.visitor_group(self.visitor.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await database_sync_to_async(chat.visitor_connected)(self.visitor.pk, 1)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if getattr(self, "visitor", None) is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await database_sync_to_async(chat.visitor_connected)(self.visitor.pk, -1)

    async def receive_json(self, content: dict, **kwargs) -> None:
        kind = content.get("type")
        if kind == "message":
            text, client_id = str(content.get("text", "")), str(content.get("client_id", ""))
            if not text.strip() or not client_id:
                await self.send_json({"type": "error", "error": "empty"})
                return
            message = await database_sync_to_async(chat.receive_chat_message)(self.visitor, text, client_id)
            await self.send_json({"type": "ack", "client_id": client_id, "id": message.pk})
        elif kind == "identify":
            await database_sync_to_async(chat.identify_visitor)(
                self.visitor, email=str(content.get("email", "")), phone=str(content.get("phone", ""))
            )
            await self.send_json({"type": "identified"})

    async def chat_reply(self, event: dict) -> None:
        await self.send_json({"type": "reply", **{k: v for k, v in event.items() if k != "type"}})
