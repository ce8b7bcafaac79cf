from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from dabai.conversations.services import receive_message
from dabai.portal import selectors


class PortalReplyForm(forms.Form):
    body = forms.CharField(label=_("Add details"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request, "portal/home.html", {"conversations": selectors.own_conversations(request.user)[:100]}
    )


@login_required
def conversation(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.own_conversation(request.user, pk)
    if found is None:
        raise Http404
    context = {"conversation": found, "thread": selectors.public_thread(found), "form": PortalReplyForm()}
    return render(request, "portal/conversation.html", context)


@login_required
@require_POST
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.own_conversation(request.user, pk)
    if found is None:
        raise Http404
    form = PortalReplyForm(request.POST)
    if form.is_valid():
        receive_message(
            channel=found.channel, customer=found.customer, body=form.cleaned_data["body"], conversation=found
        )
    return redirect("portal:conversation", pk=pk)
