"""The agent's workspace: the inbox, the conversation page and its fragments, the reply box, the audited
reveal, label corrections. Thin: permissions, forms, then a service call."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from dabai.accounts.permissions import require_desk_user
from dabai.accounts.services import record_audit
from dabai.conversations import services as conversation_services
from dabai.conversations.forms import AssignForm, ReplyForm, StatusForm
from dabai.conversations.models import Conversation, Message, Status
from dabai.conversations.selectors import InboxFilters
from dabai.conversations.views import desk_conversation_or_404
from dabai.core.choices import Channel
from dabai.desk import selectors
from dabai.replies import policy
from dabai.replies import services as reply_services


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    require_desk_user(request.user)
    filters = InboxFilters.from_query(request.GET)
    page = selectors.inbox_page(
        request.user, filters, request.GET.get("page", 1), settings.DABAI["INBOX_PAGE_SIZE"]
    )
    context = {
        "page": page,
        "filters": filters,
        "statuses": [("active", None), *Status.choices],
        "channels": Channel.choices,
    }
    template = "desk/_inbox_list.html" if request.htmx else "desk/inbox.html"
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
    return render(request, "desk/detail.html", conversation_context(conversation))


@login_required
def conversation_thread(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = desk_conversation_or_404(request, pk)
    return render(request, "desk/_thread.html", conversation_context(conversation))


@login_required
@require_POST
def set_status(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = desk_conversation_or_404(request, pk)
    form = StatusForm(request.POST)
    if form.is_valid():
        conversation_services.change_status(conversation, form.cleaned_data["status"], actor=request.user)
    return redirect("desk:detail", pk=pk)


@login_required
@require_POST
def set_assignee(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = desk_conversation_or_404(request, pk)
    form = AssignForm(request.POST)
    if form.is_valid():
        conversation_services.assign(conversation, form.cleaned_data["assignee"], actor=request.user)
    return redirect("desk:detail", pk=pk)


@login_required
@require_GET
def draft(request: HttpRequest, conversation_pk: int) -> JsonResponse:
    """A fresh draft for the customer's latest message: the agent edits it in the reply box."""
    conversation = desk_conversation_or_404(request, conversation_pk)
    result = selectors.draft_for(conversation, request.user)
    if result is None:
        return JsonResponse({"text": "", "segments": [], "reasons": []})
    return JsonResponse(
        {"text": result.text, "segments": list(result.segments), "reasons": selectors.draft_reasons(result)}
    )


@login_required
@require_POST
def reveal(request: HttpRequest, message_pk: int) -> HttpResponse:
    """Show one message unmasked. Deliberate (a POST from a click) and written to the audit log."""
    require_desk_user(request.user)
    message = Message.objects.select_related("insight", "conversation").filter(pk=message_pk).first()
    if message is None or not policy.may_see_message(request.user, message):
        raise Http404
    reply_services.reveal_personal_data(message, request.user, request)
    item = selectors.desk_thread([message], revealed=frozenset({message.pk}))[0]
    return render(request, "desk/_message_body.html", {"item": item})


@login_required
@require_POST
def correct_label(request: HttpRequest, message_pk: int) -> HttpResponse:
    """An agent corrects one badge of a customer message: stored, audited, and the badges re-rendered."""
    require_desk_user(request.user)
    message = Message.objects.select_related("conversation").filter(pk=message_pk).first()
    if message is None or not policy.may_see_message(request.user, message):
        raise Http404
    signal, value = request.POST.get("signal", ""), request.POST.get("value", "")
    if not signal:  # the "correct…" menu sends "signal:value" in one button
        signal, _sep, value = value.partition(":")
    try:
        conversation_services.correct_insight(
            message,
            signal=signal,
            value=value,
            actor=request.user,
            request=request,
        )
    except conversation_services.InvalidCorrection as exc:
        raise BadRequest(str(exc)) from exc
    if not request.htmx:
        return redirect("desk:detail", pk=message.conversation_id)
    message = Message.objects.select_related("insight", "conversation__customer").get(pk=message.pk)
    item = selectors.desk_thread([message])[0]
    return render(request, "desk/_badges.html", {"item": item, "m": message})


@login_required
def next_conversation(request: HttpRequest, pk: int) -> HttpResponse:
    """The `j` shortcut: the active conversation after this one in the inbox order, else the inbox."""
    require_desk_user(request.user)
    following = selectors.next_active_conversation(request.user, pk)
    if following is None:
        return redirect("desk:inbox")
    return redirect("desk:detail", pk=following.pk)


@login_required
@require_POST
def mentions_read(request: HttpRequest, conversation_pk: int) -> HttpResponse:
    """Opening the conversation page reads the mentions that pointed there."""
    conversation = desk_conversation_or_404(request, conversation_pk)
    reply_services.mark_mentions_read(request.user, conversation)
    return HttpResponse(status=204)


@login_required
@require_POST
def send(request: HttpRequest, conversation_pk: int) -> HttpResponse:
    """The desk's reply box: a reply to the customer or an internal note (whose @-mentions notify)."""
    conversation = desk_conversation_or_404(request, conversation_pk)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            reply_services.send_from_desk(conversation, request.user, **form.cleaned_data)
        except reply_services.PersonalDataInPublic as refused:
            form.add_error("body", refused)
        else:
            form = ReplyForm()
    if not request.htmx:
        return redirect("desk:detail", pk=conversation.pk)
    return render(request, "desk/_thread_and_form.html", conversation_context(conversation, form))
