"""Channel probes (智能拨测, seed 002): a synthetic message through each configured channel's real inbound
path must come out as a stored, analysed message within a threshold, or supervisors hear about it.

- ``senders``: how a probe enters each channel (signed webhooks to the site's own address, IMAP APPEND);
- ``runs``: the runs' state (sent → stored → analysed, ok / late / failed), alerts and the health summary.

Probe messages come from customers flagged ``is_probe``; every report leaves them out with
``exclude_probes`` (or the same filter on ``customer__is_probe``).
"""

from django.db.models import QuerySet


def exclude_probes(queryset: QuerySet, path: str = "conversation__customer__") -> QuerySet:
    """The queryset without the probes' rows; *path* leads from its model to the customer's fields."""
    return queryset.filter(**{f"{path}is_probe": False})
