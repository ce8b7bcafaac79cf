"""The reply box and the thread's own controls: send (and set the status), the draft, the audited reveal,
label corrections, mentions read. Thin: permissions, forms, then a service call."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from dabai.accounts.permissions import may_hear_recordings, require_desk_user
from dabai.conversations import services as conversation_services
from dabai.conversations.forms import ReplyForm
from dabai.conversations.models import Message, Status
from dabai.conversations.views import desk_conversation_or_404
from dabai.desk import selectors, services
from dabai.desk.views.conversation import pane, pane_context
from dabai.replies import policy
from dabai.replies import services as reply_services

THEN = {"", Status.RESOLVED, Status.PENDING}


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
def send(request: HttpRequest, conversation_pk: int) -> HttpResponse:
    """The reply box: a reply to the customer or an internal note (whose @-mentions notify), and with
    "send and resolve" / "send and wait for the customer" the status in the same step."""
    conversation = desk_conversation_or_404(request, conversation_pk)
    form = ReplyForm(request.POST)
    then = request.POST.get("then", "")
    if then not in THEN:
        raise BadRequest("then must be resolved or pending")
    if form.is_valid():
        try:
            services.reply_and_set_status(conversation, request.user, then=then, **form.cleaned_data)
        except reply_services.ReplyRefused as refused:  # personal data in public, an unfilled blank
            form.add_error("body", refused)
        else:
            if then:
                return pane(request, conversation)
            form = ReplyForm()
    if not request.htmx:
        return redirect("desk:detail", pk=conversation.pk)
    return render(request, "desk/_thread_and_form.html", pane_context(request, conversation, form))


@login_required
@require_POST
def reveal(request: HttpRequest, message_pk: int) -> HttpResponse:
    """Show one message unmasked. Deliberate (a POST from a click) and written to the audit log."""
    require_desk_user(request.user)
    message = Message.objects.select_related("insight", "conversation", "call").filter(pk=message_pk).first()
    if message is None or not policy.may_see_message(request.user, message):
        raise Http404
    reply_services.reveal_personal_data(message, request.user, request)
    hear = may_hear_recordings(request.user)
    item = selectors.desk_thread([message], revealed=frozenset({message.pk}), hear_recordings=hear)[0]
    return render(request, "desk/_message_text.html", {"item": item})


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
@require_POST
def mentions_read(request: HttpRequest, conversation_pk: int) -> HttpResponse:
    """Opening the conversation reads the mentions that pointed there."""
    conversation = desk_conversation_or_404(request, conversation_pk)
    reply_services.mark_mentions_read(request.user, conversation)
    return HttpResponse(status=204)
