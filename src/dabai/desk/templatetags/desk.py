"""The workspace's template tags: only ``desk/`` templates load them (``desk/tests/test_templates.py``)."""

from datetime import datetime

from django import template
from django.utils import timezone

from dabai.accounts.permissions import may_hear_recordings
from dabai.desk import selectors, timefmt
from dabai.filter import mask
from dabai.replies.notices import notices_for
from dabai.replies.selectors import unread_mentions

register = template.Library()


@register.simple_tag(takes_context=True)
def desk_thread(context, messages) -> list:
    """Masked messages with highlighted cues and badges with reasons; calls with their turns."""
    user = context["request"].user
    return selectors.desk_thread(list(messages), hear_recordings=may_hear_recordings(user))


@register.simple_tag
def mood_trend(messages) -> selectors.MoodTrend:
    return selectors.mood_trend(list(messages))


@register.simple_tag(takes_context=True)
def reply_draft(context, conversation) -> dict:
    """The suggested draft for the agent looking at the page, with why it reads as it does."""
    notices = notices_for(conversation)
    draft = selectors.draft_for(conversation, context["request"].user, notices=notices)
    return {"draft": draft, "reasons": selectors.draft_reasons(draft) if draft else [], "notices": notices}


@register.simple_tag(takes_context=True)
def customer_panel(context, conversation) -> selectors.CustomerPanel:
    return selectors.customer_panel(context["request"].user, conversation)


@register.simple_tag(takes_context=True)
def unread_mention_count(context) -> int:
    return unread_mentions(context["request"].user).count()


@register.filter
def masked(text: str) -> str:
    """Personal data masked, for text shown outside the thread (an email subject with a phone number)."""
    return mask(str(text or ""))


@register.filter
def time_left(due: datetime | None) -> str:
    """ "剩余2小时15分" / "已超时3分钟"."""
    return timefmt.time_left(due)


@register.filter
def moment(value: datetime | None) -> str:
    """ "今天 09:05" / "昨天 19:53" / "11月28日 14:00"."""
    return timefmt.moment(value)


@register.filter
def duration(seconds: int | None) -> str:
    """ "3分12秒"."""
    return timefmt.duration(seconds)


@register.inclusion_tag("desk/_sla.html")
def sla_badge(conversation) -> dict:
    """Time left on the nearest SLA deadline: breached, due soon (warning), running, paused, or none."""
    sla = getattr(conversation, "sla", None)
    if sla is None or conversation.status not in {"open", "pending"}:
        return {"state": "none"}
    if sla.is_paused:
        return {"state": "paused"}
    if sla.next_due_at is None:
        return {"state": "none"}
    now = timezone.now()
    if sla.next_due_at <= now:
        state = "breached"
    elif sla.warn_at is not None and sla.warn_at <= now:
        state = "warning"
    else:
        state = "running"
    return {
        "state": state,
        "due": sla.next_due_at,
        "kind": sla.get_next_kind_display(),
        "text": timefmt.time_left(sla.next_due_at, now),
    }
