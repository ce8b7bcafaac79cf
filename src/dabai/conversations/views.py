"""The agent's inbox and conversation page. Thin: permissions, forms, then a service call."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dabai.accounts.permissions import require_desk_user
from dabai.accounts.services import record_audit
from dabai.conversations import selectors, services
from dabai.conversations.forms import AssignForm, ReplyForm, StatusForm
from dabai.conversations.models import Conversation, Status
from dabai.core.choices import Channel


def desk_conversation_or_404(request: HttpRequest, pk: int) -> Conversation:
    """The conversation if this desk user may open it; 404 otherwise, revealing nothing."""
    require_desk_user(request.user)
    conversation = selectors.conversation_for(request.user, pk)
    if conversation is None:
        raise Http404
    return conversation


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    require_desk_user(request.user)
    filters = selectors.InboxFilters.from_query(request.GET)
    page = selectors.inbox_page(
        request.user, filters, request.GET.get("page", 1), settings.DABAI["INBOX_PAGE_SIZE"]
    )
    context = {
        "page": page,
        "filters": filters,
        "statuses": [("active", None), *Status.choices],
        "channels": Channel.choices,
    }
    template = "conversations/_inbox_list.html" if request.htmx else "conversations/inbox.html"
    return render(request, template, context)


def conversation_context(conversation: Conversation, reply_form: ReplyForm | None = None) -> dict:
    """What the conversation page and its fragments render: the thread and the forms beside it."""
    return {
        "conversation": conversation,
        "messages_": selectors.thread(conversation),
        "reply_form": reply_form or ReplyForm(),
        "status_form": StatusForm(initial={"status": conversation.status}),
        "assign_form": AssignForm(initial={"assignee": conversation.assignee_id}),
    }


@login_required
def conversation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = desk_conversation_or_404(request, pk)
    record_audit(request.user, "conversation.view", conversation, request=request)
    return render(request, "conversations/detail.html", conversation_context(conversation))


@login_required
def conversation_thread(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = desk_conversation_or_404(request, pk)
    return render(request, "conversations/_thread.html", conversation_context(conversation))


@login_required
@require_POST
def set_status(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = desk_conversation_or_404(request, pk)
    form = StatusForm(request.POST)
    if form.is_valid():
        services.change_status(conversation, form.cleaned_data["status"], actor=request.user)
    return redirect("conversations:detail", pk=pk)


@login_required
@require_POST
def set_assignee(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = desk_conversation_or_404(request, pk)
    form = AssignForm(request.POST)
    if form.is_valid():
        services.assign(conversation, form.cleaned_data["assignee"], actor=request.user)
    return redirect("conversations:detail", pk=pk)
