"""The chat widget's WebSocket: the visitor's messages in, agent replies out.

The socket faces the open internet: a frame that is not a JSON object, too large or of an unknown kind gets an
error frame and one log line, and the chat goes on.
"""

import json
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from dabai.channels import conf
from dabai.channels.chat import visitors as chat

logger = logging.getLogger(__name__)
# A message is at most 4,000 characters; JSON escapes (\uXXXX) may make its frame six times longer.
MAX_FRAME_CHARS = 6 * chat.MAX_MESSAGE_LENGTH + 1024


class ChatConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        offered = list(self.scope.get("subprotocols") or [])
        token = chat.token_from_subprotocols(offered) or self.scope.get("cookies", {}).get(
            conf.chat_cookie_name()
        )
        self.visitor = await database_sync_to_async(chat.visitor_from_token)(token)
        if self.visitor is None:
            await self.close(code=4401)
            return
        self.group = chat.visitor_group(self.visitor.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await database_sync_to_async(chat.visitor_connected)(self.visitor.pk, 1)
        await self.accept(chat.SUBPROTOCOL if chat.SUBPROTOCOL in offered else None)

    async def disconnect(self, code: int) -> None:
        if getattr(self, "visitor", None) is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await database_sync_to_async(chat.visitor_connected)(self.visitor.pk, -1)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs) -> None:
        if text_data is None:
            await self.refuse("not_text", _("The chat understands text frames only."))
            return
        if len(text_data) > MAX_FRAME_CHARS:
            await self.refuse("too_large", _("That message is too long."))
            return
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):
            await self.refuse("not_json", _("That message could not be read."))
            return
        if not isinstance(content, dict):
            await self.refuse("not_json", _("That message could not be read."))
            return
        await self.receive_json(content, **kwargs)

    async def receive_json(self, content: dict, **kwargs) -> None:
        kind = content.get("type")
        if kind == "message":
            text, client_id = content.get("text", ""), content.get("client_id", "")
            if (
                not isinstance(text, str)
                or not isinstance(client_id, str | int)
                or isinstance(client_id, bool)
            ):
                await self.refuse("bad_message", _("That message could not be read."))
                return
            client_id = str(client_id)
            if not text.strip() or not client_id:
                await self.refuse("empty", _("Please type a message first."))
                return
            message = await database_sync_to_async(chat.receive_chat_message)(self.visitor, text, client_id)
            await self.send_json({"type": "ack", "client_id": client_id, "id": message and message.pk})
        elif kind == "hello":
            # The widget opened: suggested questions (on request: other clients see no new frame).
            await self.send_json(await database_sync_to_async(chat.welcome)())
        elif kind == "identify":
            fields = {key: content.get(key, "") for key in ("email", "phone", "name")}
            if not all(isinstance(value, str) for value in fields.values()):
                await self.refuse("bad_message", _("That message could not be read."))
                return
            try:
                await database_sync_to_async(chat.identify_visitor)(self.visitor, **fields)
            except ValidationError as exc:
                await self.refuse(exc.code or "invalid", exc.messages[0])
                return
            await self.send_json({"type": "identified"})
        else:
            await self.refuse("unknown_type", _("That message could not be read."))

    async def refuse(self, error: str, message: str) -> None:
        """Tell the widget what was wrong, note it in one line, keep the connection."""
        logger.info("chat frame refused (visitor %s): %s", self.visitor.pk, error)
        await self.send_json({"type": "error", "error": error, "message": str(message)})

    async def chat_reply(self, event: dict) -> None:
        await self.send_json({"type": "reply", **{k: v for k, v in event.items() if k != "type"}})
