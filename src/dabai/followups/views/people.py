"""Everyone is customer service (an agent asks a department member, who answers), notices, and the desk's
customer panel."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dabai.accounts import permissions
from dabai.conversations.models import Conversation
from dabai.customers.models import Customer
from dabai.followups import notify, policy, selectors, services
from dabai.followups.forms import AnswerForm, AskForm
from dabai.followups.models import Notice
from dabai.followups.views.followups import _errors, _require

# ----------------------------------------------------------------------------- everyone is customer service


@login_required
def ask(request: HttpRequest, conversation_pk: int) -> HttpResponse:
    """An agent asks a department member about a case they work on (an internal note naming them)."""
    _require(permissions.is_desk_user(request.user))
    conversation = Conversation.objects.filter(pk=conversation_pk).first()
    if conversation is None or not policy.may_open_conversation(request.user, conversation):
        raise Http404
    form = AskForm(request.POST or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            services.mention_department_member(
                conversation,
                author=request.user,
                member=form.cleaned_data["member"],
                body=form.cleaned_data["body"],
            )
        except ValidationError as error:
            errors = _errors(error)
        else:
            messages.success(
                request,
                _("%(member)s was asked; their answer will appear as a note.")
                % {"member": form.cleaned_data["member"]},
            )
            return redirect(notify.desk_conversation_path(conversation.pk))
    return render(
        request,
        "followups/ask.html",
        {
            "form": form,
            "errors": errors,
            "conversation": conversation,
            "asked": selectors.mentions_on(conversation),
            "back": notify.desk_conversation_path(conversation.pk),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def mentions(request: HttpRequest) -> HttpResponse:
    """A department member's questions from the desk: unanswered first."""
    _require(permissions.is_department_member(request.user) or policy.oversees(request.user))
    return render(
        request,
        "followups/mentions.html",
        {
            "open": list(selectors.mentions_for(request.user, answered=False)),
            "answered": list(selectors.mentions_for(request.user, answered=True)[:50]),
        },
    )


def _mention(request: HttpRequest, pk: int):
    found = selectors.mention(pk)
    if found is None or not policy.may_read_mention(request.user, found):
        raise Http404
    return found


@login_required
def mention(request: HttpRequest, pk: int) -> HttpResponse:
    found = _mention(request, pk)
    services.mark_mention_read(found, reader=request.user, request=request)
    return render(
        request,
        "followups/mention.html",
        {
            "mention": found,
            "thread": selectors.masked_thread(found.conversation),
            "form": AnswerForm(),
            "may_answer": policy.may_answer_mention(request.user, found),
            "may_open": policy.may_open_followups(request.user),
        },
    )


@login_required
@require_POST
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    found = _mention(request, pk)
    _require(policy.may_answer_mention(request.user, found))
    form = AnswerForm(request.POST)
    errors: list[str] = []
    if form.is_valid():
        try:
            services.answer_mention(found, member=request.user, body=form.cleaned_data["body"])
        except ValidationError as error:
            errors = _errors(error)
        else:
            messages.success(request, _("Your answer was added to the case; the agent has been told."))
            return redirect("followups:mention", found.pk)
    else:
        errors = [_("Write your answer first.")]
    return render(
        request,
        "followups/mention.html",
        {
            "mention": found,
            "thread": selectors.masked_thread(found.conversation),
            "form": form,
            "errors": errors,
            "may_answer": True,
        },
        status=400,
    )


# --------------------------------------------------------------------------------------------------- notices


@login_required
def notices(request: HttpRequest) -> HttpResponse:
    _require(policy.uses_followups(request.user))
    rows = list(selectors.notices_for(request.user)[:100])
    for row in rows:
        row.link = notify.notice_path(row)
    return render(request, "followups/notices.html", {"notices": rows})


@login_required
@require_POST
def notice_read(request: HttpRequest, pk: int) -> HttpResponse:
    found = Notice.objects.filter(pk=pk, recipient=request.user).first()
    if found is None:
        raise Http404
    services.mark_notice_read(found, reader=request.user)
    if request.POST.get("go"):
        return redirect(notify.notice_path(found))
    return redirect("followups:notices")


@login_required
@require_POST
def notices_read_all(request: HttpRequest) -> HttpResponse:
    _require(policy.uses_followups(request.user))
    services.mark_all_notices_read(request.user)
    return redirect("followups:notices")


# ------------------------------------------------------------------------------------------- desk's panel


@login_required
def for_customer(request: HttpRequest, customer_pk: int) -> HttpResponse:
    """The customer's open follow-ups, for the desk's customer panel (an htmx fragment)."""
    _require(permissions.is_desk_user(request.user))
    customer = Customer.objects.filter(pk=customer_pk).first()
    if (
        customer is None
        or not permissions.visible_conversations(
            request.user, Conversation.objects.filter(customer=customer)
        ).exists()
    ):
        raise Http404
    return render(
        request,
        "followups/_customer_panel.html",
        {"followups": selectors.open_followups_for_customer(customer)},
    )
