"""What routing announces to apps built on it (webhooks, for one); routing imports none of them.

All are sent inside the transaction that made the change, with whole batches (the sweep works set-wise).
"""

from django.dispatch import Signal

# sender=SlaClock, clocks=list[tuple[int, str, datetime]]: (conversation id, clock kind, due at).
sla_warned = Signal()
sla_breached = Signal()
# sender=ComplaintCase, cases=list[ComplaintCase] (just created).
complaint_opened = Signal()
# sender=Conversation, assignments=list[tuple[int, int, int | None]]: (conversation id, agent id, team id) for
# each conversation routing assigned (only those still unassigned when it wrote: an agent's pick stands).
auto_assigned = Signal()
