"""The workspace page: the list with its views and filters, and the conversation pane beside it.

The list stays in place while conversations open in the pane (htmx, with the URL pushed so reload and the back
button work); a full load of ``/inbox/<id>/`` renders the same three panes with the list as the agent left it
(its filters are remembered in the session). Thin: permissions, then selectors and services.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render

from dabai.accounts.models import User
from dabai.accounts.permissions import require_desk_user
from dabai.accounts.selectors import desk_people
from dabai.conversations.models import Conversation, Status
from dabai.core.choices import Channel
from dabai.desk import selectors

LIST_MEMORY = "desk.list"  # the session key of the list's last querystring


def list_filters(request: HttpRequest) -> selectors.DeskFilters:
    """The list's filters: from the request when it carries any, else as the agent last left the list."""
    if any(key in request.GET for key in selectors.inbox.FILTER_PARAMS):
        return selectors.DeskFilters.from_query(request.GET)
    return selectors.DeskFilters.from_query(QueryDict(request.session.get(LIST_MEMORY, "")))


def list_context(request: HttpRequest, filters: selectors.DeskFilters, current_id: int | None = None) -> dict:
    user: User = request.user
    page = selectors.list_page(user, filters, request.GET.get("page", 1), settings.DABAI["INBOX_PAGE_SIZE"])
    counts = selectors.view_counts(user)
    return {
        "page": page,
        "filters": filters,
        "querystring": filters.querystring,
        "counts": [(key, title, counts[key]) for key, title in selectors.VIEWS],
        "statuses": [("active", None), *Status.choices],
        "status_choices": Status.choices,
        "channels": Channel.choices,
        "assignees": desk_people(),
        "current_id": current_id,
    }


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The workspace with no conversation open, or (htmx) the list alone with the views' counts."""
    require_desk_user(request.user)
    filters = selectors.DeskFilters.from_query(request.GET)
    request.session[LIST_MEMORY] = filters.querystring
    context = list_context(request, filters, _current(request))
    if request.htmx:
        return render(request, "desk/_inbox_list.html", context)
    return render(request, "desk/workspace.html", context)


def _current(request: HttpRequest) -> int | None:
    """The conversation open in the pane when the list is refreshed (the browser says which)."""
    raw = request.headers.get("X-Desk-Conversation", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


def workspace_page(request: HttpRequest, conversation: Conversation, pane: dict) -> HttpResponse:
    """The full three-pane page around an open conversation."""
    filters = list_filters(request)
    context = list_context(request, filters, conversation.pk) | pane
    return render(request, "desk/workspace.html", context)
