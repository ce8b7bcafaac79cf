"""Merging and splitting conversations from the desk, and the supervisor's page to undo them.

Thin: permissions, then a service call. The desk's thread carries the buttons (``conversations:merge`` with
``other``, ``conversations:split`` with ``message_ids``); a refusal comes back as a message on the page the
agent was on, nothing moved.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dabai.accounts.permissions import require_desk_user, require_supervisor, visible_conversations
from dabai.conversations import services
from dabai.conversations.models import Conversation, ConversationMerge, ConversationSplit

RECENT = 100


def _conversation_or_404(request: HttpRequest, pk: int) -> Conversation:
    """The conversation if this desk user may open it; 404 otherwise, revealing nothing."""
    require_desk_user(request.user)
    found = visible_conversations(request.user, Conversation.objects.filter(pk=pk)).first()
    if found is None:
        raise Http404
    return found


def _page_of(pk: int) -> str:
    """The desk's page of a conversation (the workspace owns it)."""
    try:
        return reverse("desk:detail", kwargs={"pk": pk})
    except NoReverseMatch:  # a site without the desk's pages: the supervisor's list
        return reverse("conversations:merges")


@login_required
@require_POST
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge the conversation ``other`` into this one (this one survives)."""
    surviving = _conversation_or_404(request, pk)
    try:
        other_pk = int(request.POST.get("other", ""))
    except ValueError:
        messages.error(request, _("Choose the conversation to merge into this one."))
        return redirect(_page_of(pk))
    absorbed = visible_conversations(request.user, Conversation.objects.filter(pk=other_pk)).first()
    if absorbed is None:
        messages.error(request, _("No conversation #%(pk)s that you may open.") % {"pk": other_pk})
        return redirect(_page_of(pk))
    try:
        services.merge_conversations(
            surviving=surviving, absorbed=absorbed, actor=request.user, request=request
        )
    except services.CannotMerge as exc:
        messages.error(request, _("Not merged: %(why)s.") % {"why": _(str(exc))})
    else:
        messages.success(
            request, _("Conversation #%(other)s was merged into this one.") % {"other": absorbed.pk}
        )
    return redirect(_page_of(pk))


@login_required
@require_POST
def split(request: HttpRequest, pk: int) -> HttpResponse:
    """Split the chosen messages (``message_ids``) off into a new conversation of the same customer."""
    conversation = _conversation_or_404(request, pk)
    try:
        ids = [int(value) for value in request.POST.getlist("message_ids")]
    except ValueError:
        ids = []
    try:
        done = services.split_conversation(conversation, ids, actor=request.user, request=request)
    except services.CannotSplit as exc:
        messages.error(request, _("Not split: %(why)s.") % {"why": _(str(exc))})
        return redirect(_page_of(pk))
    messages.success(
        request, _("%(count)s messages were split off from #%(pk)s.") % {"count": len(ids), "pk": pk}
    )
    return redirect(_page_of(done.created_id))


@login_required
def merges(request: HttpRequest) -> HttpResponse:
    """Recent merges and splits, newest first, each with an Undo button (supervisors only)."""
    require_supervisor(request.user)
    context = {
        "merges": ConversationMerge.objects.select_related(
            "surviving__customer", "absorbed", "merged_by", "undone_by"
        )[:RECENT],
        "splits": ConversationSplit.objects.select_related(
            "source__customer", "created", "split_by", "undone_by"
        )[:RECENT],
    }
    return render(request, "conversations/merges.html", context)


@login_required
@require_POST
def merge_undo(request: HttpRequest, pk: int) -> HttpResponse:
    require_supervisor(request.user)
    record = get_object_or_404(ConversationMerge, pk=pk)
    try:
        services.undo_merge(record, actor=request.user, request=request)
    except services.CannotUndo as exc:
        messages.error(request, _("Not undone: %(why)s.") % {"why": _(str(exc))})
    else:
        messages.success(
            request,
            _("Merge undone: #%(absorbed)s has its messages back.") % {"absorbed": record.absorbed_id},
        )
    return redirect("conversations:merges")


@login_required
@require_POST
def split_undo(request: HttpRequest, pk: int) -> HttpResponse:
    require_supervisor(request.user)
    record = get_object_or_404(ConversationSplit, pk=pk)
    try:
        services.undo_split(record, actor=request.user, request=request)
    except services.CannotUndo as exc:
        messages.error(request, _("Not undone: %(why)s.") % {"why": _(str(exc))})
    else:
        messages.success(
            request, _("Split undone: #%(source)s is whole again.") % {"source": record.source_id}
        )
    return redirect("conversations:merges")
