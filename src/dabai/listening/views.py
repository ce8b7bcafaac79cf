"""Listening pages: mentions (desk), one mention, uploads, sources and burst alerts (supervisors).

Post texts leave the agent's desk here, so they are shown masked; the conversation has the full text.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dabai.accounts.permissions import (
    is_supervisor,
    require_desk_user,
    require_supervisor,
    visible_conversations,
)
from dabai.conversations.models import Conversation
from dabai.filter import mask
from dabai.listening import selectors, services
from dabai.listening.forms import MentionFilterForm, UploadForm
from dabai.listening.models import BurstAlert, Mention, Source
from dabai.listening.tasks import read_source_now


@login_required
def mentions(request: HttpRequest) -> HttpResponse:
    require_desk_user(request.user)
    form = MentionFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    rows = selectors.mentions(topic=data.get("topic", ""), needs_answer=bool(data.get("needs_answer")))
    page = Paginator(rows, selectors.PAGE).get_page(request.GET.get("page"))
    for mention in page:
        mention.masked = mask(mention.text, lenient=True)
    context = {
        "form": form,
        "page": page,
        "topics": selectors.topic_counts(),
        "supervisor": is_supervisor(request.user),
    }
    if context["supervisor"]:
        context |= {
            "upload": UploadForm(),
            "sources": selectors.sources(),
            "open_alerts": selectors.open_alert_count(),
        }
    return render(request, "listening/mentions.html", context)


@login_required
def mention(request: HttpRequest, pk: int) -> HttpResponse:
    require_desk_user(request.user)
    found = get_object_or_404(Mention.objects.select_related("source"), pk=pk)
    conversation = None
    if found.conversation_id:
        conversation = (
            visible_conversations(request.user, Conversation.objects.all())
            .filter(pk=found.conversation_id)
            .first()
        )
    return render(
        request,
        "listening/mention.html",
        {"mention": found, "masked": mask(found.text, lenient=True), "conversation": conversation},
    )


@login_required
@require_POST
def upload(request: HttpRequest) -> HttpResponse:
    require_supervisor(request.user)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(
            request,
            _("Nothing was read: %(errors)s")
            % {"errors": "; ".join(str(e) for errors in form.errors.values() for e in errors)},
        )
        return redirect("listening:mentions")
    report = services.read_upload(form.cleaned_data["kind"], form.cleaned_data["file"].read(), request.user)
    messages.success(
        request,
        _(
            "Read %(read)s posts: %(stored)s new mentions, %(conversations)s conversations opened, "
            "%(duplicates)s already seen, %(skipped)s skipped."
        )
        % {**report.as_dict()},
    )
    for problem in report.problems[:5]:
        messages.warning(request, problem)
    return redirect("listening:mentions")


@login_required
@require_POST
def source_read(request: HttpRequest, pk: int) -> HttpResponse:
    require_supervisor(request.user)
    source = get_object_or_404(Source, pk=pk)
    read_source_now.enqueue(source.pk)
    messages.success(request, _("%(name)s will be read in a moment.") % {"name": source.name})
    return redirect("listening:mentions")


@login_required
def alerts(request: HttpRequest) -> HttpResponse:
    require_supervisor(request.user)
    page = Paginator(selectors.alerts(), selectors.PAGE).get_page(request.GET.get("page"))
    return render(request, "listening/alerts.html", {"page": page})


@login_required
@require_POST
def alert_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    require_supervisor(request.user)
    services.acknowledge_alert(get_object_or_404(BurstAlert, pk=pk), request.user)
    return redirect("listening:alerts")
