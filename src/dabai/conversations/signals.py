"""Hooks for apps that build on conversations (channels send replies, routing assigns, SLAs start).

Conversations never import those apps; they listen here instead, keeping the arrows one way.
"""

from dataclasses import dataclass

from django.dispatch import Signal

from dabai.conversations.models import Conversation, Message


@dataclass(frozen=True)
class Arrival:
    """One newly stored customer message, and whether it opened its conversation."""

    message: Message
    conversation: Conversation
    new_conversation: bool


# Both carry whole batches (a webhook burst is stored and read in one go), so listeners work set-wise.
# sender=Message, arrivals=list[Arrival]; inside the transaction that stored them.
messages_received = Signal()
# sender=Insight, insights=list[Insight] (each with ``.message`` loaded); inside the transaction.
insights_stored = Signal()
# sender=Message, message=Message; after commit, so a channel sender can enqueue delivery.
reply_posted = Signal()
# sender=Conversation, conversation=Conversation, old_status=str, actor=User|None; inside the transaction.
status_changed = Signal()
# sender=Conversation, conversation=Conversation, assignee_id=int|None, team_id=int|None, actor=User|None;
# inside the transaction (a person or a token assigned it; automatic routing writes RoutingDecisions instead).
assigned = Signal()
# sender=Message, message=Message, status=str (queued / sent / failed); inside the transaction recording it.
delivery_changed = Signal()
# sender=Conversation, merge=ConversationMerge, actor=User; inside the transaction (the absorbed
# conversation's messages now belong to the surviving one, and it is closed).
merged = Signal()
# sender=Conversation, split=ConversationSplit, actor=User; inside the transaction (a new conversation holds
# the moved messages).
split = Signal()
