"""The workspace's reads: the list and its views (``inbox``), the conversation pane (``thread``)."""

from dabai.desk.selectors.inbox import (
    VIEWS,
    DeskFilters,
    list_page,
    list_queryset,
    neighbours,
    next_active_conversation,
    view_counts,
)
from dabai.desk.selectors.thread import (
    CallView,
    CustomerPanel,
    MoodTrend,
    ThreadItem,
    customer_panel,
    desk_thread,
    draft_for,
    draft_reasons,
    mood_trend,
    thread,
)

__all__ = [
    "VIEWS",
    "CallView",
    "CustomerPanel",
    "DeskFilters",
    "MoodTrend",
    "ThreadItem",
    "customer_panel",
    "desk_thread",
    "draft_for",
    "draft_reasons",
    "list_page",
    "list_queryset",
    "mood_trend",
    "neighbours",
    "next_active_conversation",
    "thread",
    "view_counts",
]
