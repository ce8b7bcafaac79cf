"""The customer portal: one-time code sign-in, one's own conversations, replies and new requests."""

from functools import wraps

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from dabai.conversations.services import receive_message
from dabai.portal import selectors, services
from dabai.portal.policy import is_portal_customer

SESSION_ADDRESS = "portal_sign_in_address"


class PortalReplyForm(forms.Form):
    body = forms.CharField(label=_("Add details"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class AddressForm(forms.Form):
    address = forms.CharField(label=_("Email or mobile number"), max_length=254)

    def clean_address(self) -> str:
        value = self.cleaned_data["address"]
        if services.normalise_address(value) is None:
            raise forms.ValidationError(_("Enter an email address or a mobile number."))
        return value


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Six-digit code"), max_length=6, min_length=6)


class NewRequestForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("Describe your question"), widget=forms.Textarea(attrs={"rows": 5}), max_length=5000
    )


def customer_required(view):
    """Only signed-in customers; everyone else is sent to the code sign-in."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_portal_customer(request.user):
            return redirect("portal:sign_in")
        return view(request, *args, **kwargs)

    return wrapped


def lockout_message() -> str:
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    return _(
        "Too many wrong codes. Please try again in %(minutes)d minutes, or contact customer service."
    ) % {"minutes": minutes}


def sign_in(request: HttpRequest) -> HttpResponse:
    form = AddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not services.allow_code_request(request.META.get("REMOTE_ADDR")):
            context = {"form": form, "throttled": _("Too many requests from your network. Please try later.")}
            return render(request, "portal/sign_in.html", context, status=429)
        services.request_code(form.cleaned_data["address"])
        request.session[SESSION_ADDRESS] = form.cleaned_data["address"]
        return redirect("portal:verify")
    return render(request, "portal/sign_in.html", {"form": form})


def verify(request: HttpRequest) -> HttpResponse:
    address = request.session.get(SESSION_ADDRESS)
    if not address:
        return redirect("portal:sign_in")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        locked = services.sign_in_locked(request, address)
        if not locked:
            user = services.verify_code(address, form.cleaned_data["code"])
            if user is not None:
                request.session.pop(SESSION_ADDRESS, None)
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                return redirect("portal:home")
            locked = services.record_failed_sign_in(request, address)
        if locked:
            context = {"form": CodeForm(), "address": address, "lockout": lockout_message()}
            return render(request, "portal/verify.html", context, status=429)
        form.add_error("code", _("That code is wrong or has expired."))
    return render(request, "portal/verify.html", {"form": form, "address": address})


@customer_required
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request, "portal/home.html", {"conversations": selectors.own_conversations(request.user)[:100]}
    )


@customer_required
def new_request(request: HttpRequest) -> HttpResponse:
    form = NewRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        conversation = services.open_request(
            request.user.customer, subject=form.cleaned_data["subject"], body=form.cleaned_data["body"]
        )
        messages.success(request, _("Thank you, we have your request."))
        return redirect("portal:conversation", pk=conversation.pk)
    return render(request, "portal/new.html", {"form": form})


@customer_required
def conversation(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.own_conversation(request.user, pk)
    if found is None:
        raise Http404
    context = {"conversation": found, "thread": selectors.public_thread(found), "form": PortalReplyForm()}
    return render(request, "portal/conversation.html", context)


@customer_required
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
