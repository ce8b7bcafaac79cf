"""Desk endpoints: macro search and management, the draft, the audited reveal, the mention list. Thin."""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dabai.accounts.models import Team
from dabai.accounts.permissions import is_supervisor, require_desk_user, team_ids
from dabai.conversations import services as conversation_services
from dabai.conversations.forms import ReplyForm
from dabai.conversations.models import Message
from dabai.conversations.views import conversation_context, desk_conversation_or_404
from dabai.core.params import parse_id
from dabai.replies import policy, selectors, services
from dabai.replies.forms import MacroForm
from dabai.replies.models import Macro


@login_required
@require_GET
def macro_search(request: HttpRequest) -> JsonResponse:
    """The `/` search in the reply box: visible macros, filled in for the open conversation."""
    require_desk_user(request.user)
    values = {}
    if raw := request.GET.get("conversation", ""):
        conversation_id = parse_id(raw)
        if conversation_id is None:
            raise BadRequest("conversation must be a conversation id")
        conversation = desk_conversation_or_404(request, conversation_id)
        values = selectors.macro_values(conversation, request.user)
    results = [
        {"id": m.pk, "title": m.title, "text": selectors.render_macro(m, values), "scope": m.scope}
        for m in selectors.search_macros(request.user, request.GET.get("q", ""))
    ]
    return JsonResponse({"results": results})


@login_required
@require_POST
def macro_used(request: HttpRequest, pk: int) -> HttpResponse:
    require_desk_user(request.user)
    macro = selectors.visible_macros(request.user).filter(pk=pk).first()
    if macro is None:
        raise Http404
    services.record_macro_use(macro)
    return HttpResponse(status=204)


def _teams_for(user):
    return Team.objects.all() if is_supervisor(user) else Team.objects.filter(pk__in=team_ids(user))


@login_required
def macro_list(request: HttpRequest) -> HttpResponse:
    """The agent's canned replies: their own, their teams' and the centre's, and a form to add one."""
    require_desk_user(request.user)
    scopes = policy.creatable_scopes(request.user)
    form = MacroForm(request.POST or None, scopes=scopes, teams=_teams_for(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            services.create_macro(
                actor=request.user,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                scope=form.cleaned_data["scope"],
                team=form.cleaned_data.get("team"),
            )
        except ValidationError as error:
            form.add_error("team", error)
        else:
            flash.success(request, _("Canned reply saved."))
            return redirect("replies:macros")
    macros = selectors.visible_macros(request.user).order_by("title", "id")
    rows = [(m, policy.may_manage_macro(request.user, m)) for m in macros]
    return render(request, "replies/macros.html", {"form": form, "rows": rows})


@login_required
@require_POST
def macro_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require_desk_user(request.user)
    macro = get_object_or_404(Macro, pk=pk)
    if not policy.may_manage_macro(request.user, macro):
        raise PermissionDenied
    services.delete_macro(macro, actor=request.user)
    flash.success(request, _("Canned reply deleted."))
    return redirect("replies:macros")


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
    services.reveal_personal_data(message, request.user, request)
    item = selectors.desk_thread([message], revealed=frozenset({message.pk}))[0]
    return render(request, "replies/_message_body.html", {"item": item})


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
        return redirect("conversations:detail", pk=message.conversation_id)
    message = Message.objects.select_related("insight", "conversation__customer").get(pk=message.pk)
    item = selectors.desk_thread([message])[0]
    return render(request, "replies/_badges.html", {"item": item, "m": message})


@login_required
def mentions(request: HttpRequest) -> HttpResponse:
    require_desk_user(request.user)
    unread = selectors.unread_mentions(request.user)[:100]
    return render(request, "replies/mentions.html", {"mentions": unread})


@login_required
def next_conversation(request: HttpRequest, pk: int) -> HttpResponse:
    """The `j` shortcut: the active conversation after this one in the inbox order, else the inbox."""
    require_desk_user(request.user)
    following = selectors.next_active_conversation(request.user, pk)
    if following is None:
        return redirect("conversations:inbox")
    return redirect("conversations:detail", pk=following.pk)


@login_required
@require_POST
def mentions_read(request: HttpRequest, conversation_pk: int) -> HttpResponse:
    """Opening the conversation page reads the mentions that pointed there."""
    conversation = desk_conversation_or_404(request, conversation_pk)
    services.mark_mentions_read(request.user, conversation)
    return HttpResponse(status=204)


@login_required
@require_POST
def send(request: HttpRequest, conversation_pk: int) -> HttpResponse:
    """The desk's reply box: a reply to the customer or an internal note (whose @-mentions notify)."""
    conversation = desk_conversation_or_404(request, conversation_pk)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.send_from_desk(conversation, request.user, **form.cleaned_data)
        except services.PersonalDataInPublic as refused:
            form.add_error("body", refused)
        else:
            form = ReplyForm()
    if not request.htmx:
        return redirect("conversations:detail", pk=conversation.pk)
    return render(request, "conversations/_thread_and_form.html", conversation_context(conversation, form))
