"""The workspace's template tags: only ``desk/`` templates load them (``desk/tests/test_templates.py``)."""

from django import template

from dabai.desk import selectors
from dabai.filter import mask
from dabai.replies.selectors import unread_mentions

register = template.Library()


@register.simple_tag
def desk_thread(messages) -> list:
    """Masked messages with highlighted cues and badges with reasons."""
    return selectors.desk_thread(list(messages))


@register.simple_tag
def mood_trend(messages) -> selectors.MoodTrend:
    return selectors.mood_trend(list(messages))


@register.simple_tag(takes_context=True)
def reply_draft(context, conversation) -> dict:
    """The suggested draft for the agent looking at the page, with why it reads as it does."""
    draft = selectors.draft_for(conversation, context["request"].user)
    return {"draft": draft, "reasons": selectors.draft_reasons(draft) if draft else []}


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
