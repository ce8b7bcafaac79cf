"""The customer portal: one-time code sign-in, one's own conversations, replies and new requests."""

from functools import wraps

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from dabai.conversations.models import Status
from dabai.conversations.services import receive_message
from dabai.core.files import RefusedFile
from dabai.knowledge.selectors import help_categories, search_articles
from dabai.portal import selectors, services
from dabai.portal.notices import notices_for
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


ORDER_NUMBER = r"^[A-Za-z0-9][A-Za-z0-9-]{3,39}$"
# Articles that may already answer the request, while it is typed (htmx; see new.html's #portal-suggest).
SUGGEST = {
    "hx-get": reverse_lazy("portal:suggest"),
    "hx-trigger": "input changed delay:400ms",
    "hx-include": "#id_subject, #id_body",
    "hx-target": "#portal-suggest",
    "hx-swap": "innerHTML",
}


class NewRequestForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), required=False)
    subject = forms.CharField(label=_("Subject"), max_length=200, widget=forms.TextInput(attrs=SUGGEST))
    order_number = forms.RegexField(
        label=_("Order number (optional)"),
        regex=ORDER_NUMBER,
        required=False,
        max_length=40,
        error_messages={"invalid": _("An order number has 4 to 40 letters, digits or dashes.")},
    )
    body = forms.CharField(
        label=_("Describe your question"),
        widget=forms.Textarea(attrs={"rows": 5, **SUGGEST}),
        max_length=5000,
    )
    photo = forms.FileField(
        label=_("Photo (optional)"),
        required=False,
        help_text=_("A picture of the item or the error screen: JPG, PNG, GIF or WebP, at most 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"}),
    )

    def __init__(self, *args, language: str = "zh-hans", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        names = [c.name_for(language) for c in help_categories(language)]
        self.fields["category"].choices = [("", _("Choose a category")), *[(n, n) for n in names]]
        self.fields["category"].choices.append((str(_("Something else")), _("Something else")))

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo:
            try:
                services.check_photo(photo)
            except RefusedFile as exc:
                raise forms.ValidationError(exc.messages[0]) from None
        return photo


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


def _language() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh-hans"


@customer_required
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/home.html",
        {"requests": selectors.own_requests(request.user), "notices": _notices(request)},
    )


def _notices(request: HttpRequest) -> list:
    """What applies to this customer now (an outage in their area), from the apps above the portal."""
    customer = getattr(request.user, "customer", None)
    return notices_for(customer) if customer is not None else []


@customer_required
def new_request(request: HttpRequest) -> HttpResponse:
    form = NewRequestForm(request.POST or None, request.FILES or None, language=_language())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        conversation = services.open_request(
            request.user.customer,
            subject=data["subject"],
            body=data["body"],
            category=data["category"],
            order_number=data["order_number"],
            photo=data["photo"] or None,
        )
        messages.success(request, _("Thank you, we have your request."))
        return redirect("portal:conversation", pk=conversation.pk)
    return render(request, "portal/new.html", {"form": form}, status=400 if form.errors else 200)


@customer_required
def suggest(request: HttpRequest) -> HttpResponse:
    """Articles that may already answer the request being typed (htmx), through the help centre's search."""
    query = " ".join(request.GET.get(k, "") for k in ("subject", "body")).strip()[:200]
    hits = search_articles(query, limit=3)[1] if len(query) >= 2 else []
    return render(request, "portal/_suggestions.html", {"hits": hits})


@customer_required
@require_POST
def rate(request: HttpRequest, pk: int) -> HttpResponse:
    """Rate a solved request: the quality survey's one-time link (its rules decide whether one may go out)."""
    found = selectors.own_conversation(request.user, pk)
    if found is None:
        raise Http404
    link = services.start_rating(found) if found.status in {Status.RESOLVED, Status.CLOSED} else ""
    if not link:
        messages.info(request, _("This request cannot be rated now."))
        return redirect("portal:conversation", pk=pk)
    return redirect(link)


@customer_required
def conversation(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.own_conversation(request.user, pk)
    if found is None:
        raise Http404
    context = {
        "conversation": found,
        "request_": selectors.request_of(found),
        "thread": selectors.public_thread(found),
        "form": PortalReplyForm(),
        "rating": services.rating_for(found) if found.status in {Status.RESOLVED, Status.CLOSED} else None,
    }
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
