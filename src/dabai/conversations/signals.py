"""Hooks for apps that build on conversations (channels send replies, routing assigns, SLAs start).

Conversations never import those apps; they listen here instead, keeping the arrows one way.
"""

from django.dispatch import Signal

# sender=Message, message=Message, conversation=Conversation, new_conversation=bool; inside the transaction.
message_received = Signal()
# sender=Insight, insight=Insight, message=Message; inside the transaction.
insight_stored = Signal()
# sender=Message, message=Message; after commit, so a channel sender can enqueue delivery.
reply_posted = Signal()
# sender=Conversation, conversation=Conversation, old_status=str, actor=User|None; inside the transaction.
status_changed = Signal()
