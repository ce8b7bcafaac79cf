"""The workspace's demo part: each agent has already opened some of their conversations, so the list shows
unread markers on the rest, as on a real morning (the conversations' own demo snoozes a few). Only through the
desk's services; deterministic (the demo's seed picks the conversations)."""

import random

from dabai.accounts.permissions import visible_conversations
from dabai.conversations.models import Conversation, Status
from dabai.desk import services

AGENTS = ("xiaoli", "xiaozhou", "banzhang")
READ_SHARE = 0.6  # of the agent's active conversations, opened already


def seed_demo(world) -> None:
    rng = random.Random(world.seed + 15)
    active = Conversation.objects.filter(status__in=[Status.OPEN, Status.PENDING]).order_by("pk")
    for login in AGENTS:
        agent = world.users.get(login)
        if agent is None:
            continue
        mine = list(visible_conversations(agent, active).order_by("-last_message_at", "-pk")[:60])
        for conversation in rng.sample(mine, int(len(mine) * READ_SHARE)):
            services.mark_read(agent, conversation)
