"""Past conversations for the portal's tests, stored set-wise as the demo and imports store them."""

from datetime import datetime, timedelta

from django.utils import timezone

from dabai.conversations.models import Conversation, Direction
from dabai.conversations.services import PastConversation, PastMessage, record_history
from dabai.customers.models import Customer, Tier
from dabai.insights.services import rebuild_case_index


def history(rows: list[tuple], *, now: datetime | None = None, index: bool = True) -> list[Conversation]:
    """rows: (days ago, channel, customer text[, customer name]); every conversation gets an answer."""
    now = now or timezone.now()
    customers = Customer.objects.bulk_create(
        [
            Customer(display_name=row[3] if len(row) > 3 else f"客户{i}", tier=Tier.REGULAR)
            for i, row in enumerate(rows)
        ]
    )
    past = []
    for (days, channel, text, *_), customer in zip(rows, customers, strict=True):
        at = now - timedelta(days=days, hours=1)
        past.append(
            PastConversation(
                customer=customer,
                channel=channel,
                messages=[
                    PastMessage(Direction.INBOUND, text, at),
                    PastMessage(
                        Direction.OUTBOUND, "您好，已为您登记，我们会尽快处理。", at + timedelta(minutes=5)
                    ),
                ],
            )
        )
    conversations = record_history(past)
    if index:
        rebuild_case_index()
    return conversations
