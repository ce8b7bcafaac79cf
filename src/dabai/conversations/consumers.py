"""WebSocket consumers: they only relay "something changed" events to people allowed to see them.

The conversation consumer also carries presence (who else is viewing or typing in this conversation), so two
agents notice each other before they both answer the same customer.  Presence carries names and states only,
never message text.
"""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from dabai.accounts.permissions import is_desk_user, visible_conversations
from dabai.conversations.live import conversation_group, inbox_groups
from dabai.conversations.models import Conversation


def user_group(user_id: int) -> str:
    """Every desk page of one person, for notices meant for them alone (an @-mention)."""
    return f"desk-user-{user_id}"


class InboxConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if not (user and await database_sync_to_async(is_desk_user)(user)):
            await self.close(code=4403)
            return
        # Only the audiences this person belongs to: never another team's conversation ids.
        self.groups_joined = [*await database_sync_to_async(inbox_groups)(user), user_group(user.pk)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def conversation_event(self, event: dict) -> None:
        await self.send_json({k: v for k, v in event.items() if k in {"kind", "conversation_id", "by"}})


class ConversationConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.conversation_id = int(self.scope["url_route"]["kwargs"]["pk"])
        user = self.scope.get("user")
        if not (user and await self._may_view(user)):
            await self.close(code=4403)
            return
        self.user = user
        self.state = "viewing"
        self.group = conversation_group(self.conversation_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.channel_layer.group_add(user_group(user.pk), self.channel_name)
        await self.accept()
        await self._announce("viewing", reply_to=self.channel_name)

    @database_sync_to_async
    def _may_view(self, user) -> bool:
        return visible_conversations(user, Conversation.objects.filter(pk=self.conversation_id)).exists()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self._announce("left")
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.channel_layer.group_discard(user_group(self.user.pk), self.channel_name)

    async def receive_json(self, content: dict, **kwargs) -> None:
        """The page reports its agent typing or idle; anything else from the browser is ignored."""
        state = {"typing": "typing", "idle": "viewing"}.get(content.get("action"))
        if state and state != self.state:
            self.state = state
            await self._announce(state)

    async def _announce(self, state: str, reply_to: str = "") -> None:
        await self.channel_layer.group_send(
            self.group,
            {
                "type": "presence",
                "user_id": self.user.pk,
                "name": str(self.user),
                "state": state,
                "sender": self.channel_name,
                "reply_to": reply_to,
            },
        )

    async def presence(self, event: dict) -> None:
        """Show colleagues' presence (not one's own other tabs); answer a newcomer with our own state."""
        if event["sender"] == self.channel_name:
            return
        if event["user_id"] == self.user.pk:
            if event["state"] == "left":
                await self._announce(self.state)  # another tab closed; this one still holds the conversation
            return
        await self.send_json(
            {
                "kind": "presence",
                "conversation_id": self.conversation_id,
                "user_id": event["user_id"],
                "name": event["name"],
                "state": event["state"],
            }
        )
        if event.get("reply_to"):
            await self.channel_layer.send(
                event["reply_to"],
                {
                    "type": "presence",
                    "user_id": self.user.pk,
                    "name": str(self.user),
                    "state": self.state,
                    "sender": self.channel_name,
                    "reply_to": "",
                },
            )

    async def conversation_event(self, event: dict) -> None:
        await self.send_json({k: v for k, v in event.items() if k != "type"})
