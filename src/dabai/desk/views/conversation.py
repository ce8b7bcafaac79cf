"""The conversation pane and what the agent does at its top: status, assignment, snooze. Thin: permissions,
forms, then a service call; an htmx request gets the pane back, a plain form post a redirect."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dabai.accounts.permissions import may_hear_recordings, require_desk_user
from dabai.accounts.services import record_audit
from dabai.channels.models import CallRecord
from dabai.conversations import services as conversation_services
from dabai.conversations.forms import AssignForm, ReplyForm, StatusForm
from dabai.conversations.models import Conversation
from dabai.conversations.views import desk_conversation_or_404
from dabai.desk import selectors, services
from dabai.desk.forms import SNOOZE_CHOICES, SnoozeForm
from dabai.desk.views.workspace import list_filters, workspace_page

PANE = "conversation-pane"


def pane_context(
    request: HttpRequest,
    conversation: Conversation,
    reply_form: ReplyForm | None = None,
    action_error: str = "",
) -> dict:
    """What the pane renders: the thread, the reply box and the forms at its top."""
    return {
        "conversation": conversation,
        "messages_": selectors.thread(conversation),
        "reply_form": reply_form or ReplyForm(),
        "status_form": StatusForm(initial={"status": conversation.status}),
        "assign_form": AssignForm(initial={"assignee": conversation.assignee_id}),
        "snooze_choices": SNOOZE_CHOICES,
        "action_error": action_error,
        "querystring": list_filters(request).querystring,
    }


def pane(request: HttpRequest, conversation: Conversation, **extra) -> HttpResponse:
    """The pane after an action: the list beside it is told to refresh (counts and rows may have moved)."""
    if not request.htmx:
        return redirect("desk:detail", pk=conversation.pk)
    conversation.refresh_from_db()
    response = render(request, "desk/_conversation.html", pane_context(request, conversation, **extra))
    response["HX-Trigger"] = "desk-list-changed"
    response["HX-Retarget"] = f"#{PANE}"  # "send and resolve" posts from the reply box, deeper in the pane
    response["HX-Reswap"] = "innerHTML"
    return response


@login_required
def conversation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a conversation: in the pane (htmx from the list) or as the whole workspace (a link, a reload)."""
    conversation = desk_conversation_or_404(request, pk)
    record_audit(request.user, "conversation.view", conversation, request=request)
    services.mark_read(request.user, conversation)
    context = pane_context(request, conversation)
    if request.htmx and request.htmx.target == PANE:
        response = render(request, "desk/_conversation.html", context)
        response["HX-Trigger"] = "desk-list-changed"
        return response
    return workspace_page(request, conversation, context)


@login_required
def conversation_thread(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = desk_conversation_or_404(request, pk)
    return render(request, "desk/_thread.html", pane_context(request, conversation))


@login_required
@require_POST
def set_status(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = desk_conversation_or_404(request, pk)
    form = StatusForm(request.POST)
    if form.is_valid():
        conversation_services.change_status(conversation, form.cleaned_data["status"], actor=request.user)
    return pane(request, conversation)


@login_required
@require_POST
def set_assignee(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = desk_conversation_or_404(request, pk)
    form = AssignForm(request.POST)
    if form.is_valid():
        conversation_services.assign(conversation, form.cleaned_data["assignee"], actor=request.user)
    return pane(request, conversation)


@login_required
@require_POST
def snooze(request: HttpRequest, pk: int) -> HttpResponse:
    """Out of the open views until a time, or until the customer writes (conversations.services.snooze)."""
    conversation = desk_conversation_or_404(request, pk)
    form = SnoozeForm(request.POST)
    if not form.is_valid():
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return pane(request, conversation, action_error=error)
    try:
        conversation_services.snooze(conversation, until=form.cleaned_data["when"], actor=request.user)
    except conversation_services.CannotSnooze as refused:
        return pane(request, conversation, action_error=_(str(refused)))
    return pane(request, conversation)


@login_required
@require_POST
def wake(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = desk_conversation_or_404(request, pk)
    conversation_services.unsnooze(conversation, actor=request.user, reason="agent")
    return pane(request, conversation)


@login_required
def next_conversation(request: HttpRequest, pk: int) -> HttpResponse:
    """The `j` shortcut without the list at hand: the active conversation after this one, else the inbox."""
    require_desk_user(request.user)
    following = selectors.next_active_conversation(request.user, pk)
    if following is None:
        return redirect("desk:inbox")
    return redirect("desk:detail", pk=following.pk)


@login_required
def recording(request: HttpRequest, pk: int) -> HttpResponse:
    """A call's recording for those who may hear it (supervisors): audited, then off to the call centre."""
    require_desk_user(request.user)
    record = CallRecord.objects.select_related("message").filter(pk=pk).first()
    if record is None or not record.recording_url:
        raise Http404
    desk_conversation_or_404(request, record.message.conversation_id)
    if not may_hear_recordings(request.user):
        raise Http404
    record_audit(request.user, "call.recording", record, {"message": record.message_id}, request=request)
    return redirect(record.recording_url)
