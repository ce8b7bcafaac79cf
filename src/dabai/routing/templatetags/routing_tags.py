"""Inbox helpers: SLA time left, breach warnings and the unannounced-holiday-year warning."""

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from dabai.accounts.permissions import is_supervisor
from dabai.routing.models import AgentRouting, AgentState
from dabai.routing.selectors import calendar_warnings

register = template.Library()


@register.inclusion_tag("routing/_sla_cell.html")
def sla_cell(conversation) -> dict:
    """Time left on the nearest SLA deadline: breached, due soon (warning) or running."""
    sla = getattr(conversation, "sla", None)
    if sla is None or conversation.status not in {"open", "pending"}:
        return {"state": "none"}
    if sla.is_paused:
        return {"state": "paused"}
    if sla.next_due_at is None:
        return {"state": "none"}
    now = timezone.now()
    left = int((sla.next_due_at - now).total_seconds())
    if left <= 0:
        state = "breached"
    elif sla.warn_at is not None and sla.warn_at <= now:
        state = "warning"
    else:
        state = "running"
    minutes = abs(left) // 60
    return {
        "state": state,
        "due": sla.next_due_at,
        "kind": sla.get_next_kind_display(),
        "days": minutes // (60 * 24),
        "hours": minutes // 60,
        "minutes": minutes % 60,
        "seconds_left": left,
    }


@register.inclusion_tag("routing/_calendar_warning.html", takes_context=True)
def calendar_warning(context) -> dict:
    user = context.get("user")
    if user is None or not is_supervisor(user):
        return {"warnings": []}
    return {"warnings": calendar_warnings()}


@register.inclusion_tag("routing/_agent_state.html", takes_context=True)
def agent_state_form(context) -> dict:
    """Agents pause (break, training) and resume from the inbox; supervisors get a link to the dashboard."""
    user = context.get("user")
    request = context.get("request")
    seat = (
        AgentRouting.objects.filter(user=user).first() if user is not None and user.is_authenticated else None
    )
    return {
        "user": user,
        "seat": seat,
        "states": AgentState.choices,
        "is_supervisor": user is not None and is_supervisor(user),
        "next": request.get_full_path() if request else "",
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("routing/_sort_select.html")
def sla_sort_select(filters) -> dict:
    return {"sort": getattr(filters, "sort", "recent")}


@register.simple_tag
def sla_column_title() -> str:
    return _("Time left")
