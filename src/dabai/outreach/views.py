"""Outreach pages for supervisors (at-risk list, campaigns, incidents) and the public unsubscribe page.

Thin: permissions from ``dabai.accounts.permissions``, reads from selectors, changes through services.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from dabai.accounts.permissions import require_supervisor
from dabai.accounts.services import record_audit
from dabai.customers.models import Customer
from dabai.outreach import selectors
from dabai.outreach.forms import CampaignForm, IncidentForm, ReminderImportForm, TestSendForm, UpdateForm
from dabai.outreach.models import Campaign, CampaignStatus, Incident
from dabai.outreach.services import campaigns as campaign_services
from dabai.outreach.services import care, consent, incidents, reaching, segments


def _conversation_url(pk: int) -> str:
    from django.urls import NoReverseMatch, reverse

    for name in ("desk:detail", "conversations:detail"):
        try:
            return reverse(name, args=[pk])
        except NoReverseMatch:
            continue
    return f"/inbox/{pk}/"


@login_required
def at_risk(request: HttpRequest) -> HttpResponse:
    require_supervisor(request.user)
    try:
        minimum = max(1, min(100, int(request.GET.get("min", "20"))))
    except ValueError:
        minimum = 20
    page = Paginator(selectors.at_risk(minimum), selectors.PAGE).get_page(request.GET.get("page"))
    rows = list(page)
    selectors.explained(rows)
    selectors.with_reach_outs(rows)
    record_audit(request.user, "outreach.at_risk_viewed", request.user, {"page": page.number, "min": minimum})
    return render(request, "outreach/at_risk.html", {"page": page, "rows": rows, "minimum": minimum})


@login_required
@require_POST
def reach_out(request: HttpRequest, pk: int) -> HttpResponse:
    require_supervisor(request.user)
    customer = get_object_or_404(Customer, pk=pk)
    done = reaching.reach_out(customer, request.user)
    messages.success(
        request,
        _("%(agent)s will reach out to %(name)s.") % {"agent": done.agent, "name": customer.display_name},
    )
    return redirect(_conversation_url(done.conversation_id))


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    require_supervisor(request.user)
    page = Paginator(selectors.campaigns(), selectors.PAGE).get_page(request.GET.get("page"))
    return render(request, "outreach/campaigns.html", {"page": page, "reminders": ReminderImportForm()})


@login_required
def campaign_new(request: HttpRequest) -> HttpResponse:
    require_supervisor(request.user)
    form = CampaignForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        customer_ids = None
        upload = form.cleaned_data.get("customers_csv")
        if upload:
            customer_ids, errors = segments.parse_customer_csv(upload.read())
            for error in errors[:10]:
                messages.warning(request, error)
            if not customer_ids:
                form.add_error("customers_csv", _("No customer in the file could be found."))
        if not form.errors:
            data = {k: v for k, v in form.cleaned_data.items() if k in CampaignForm.Meta.fields}
            campaign = campaign_services.create_campaign(
                actor=request.user, segment=form.segment(customer_ids), **data
            )
            return redirect("outreach:campaign", pk=campaign.pk)
    return render(request, "outreach/campaign_form.html", {"form": form})


@login_required
def campaign(request: HttpRequest, pk: int) -> HttpResponse:
    require_supervisor(request.user)
    found = get_object_or_404(Campaign, pk=pk)
    context = {
        "campaign": found,
        "results": campaign_services.results(found),
        "skips": campaign_services.skip_reasons(found),
        "test_form": TestSendForm(),
    }
    if found.status in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED):
        context["preview"] = campaign_services.preview(found)
        context["segment_size"] = len(campaign_services.segment_customers(found.segment))
    return render(request, "outreach/campaign.html", context)


@login_required
@require_POST
def campaign_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    require_supervisor(request.user)
    found = get_object_or_404(Campaign, pk=pk)
    try:
        campaign_services.schedule(found, request.user)
    except campaign_services.CampaignError as exc:
        messages.error(request, str(exc))
    else:
        when = timezone.localtime(found.scheduled_at).strftime("%Y-%m-%d %H:%M")
        messages.success(request, _("Scheduled for %(when)s.") % {"when": when})
    return redirect("outreach:campaign", pk=pk)


@login_required
@require_POST
def campaign_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    require_supervisor(request.user)
    campaign_services.cancel(get_object_or_404(Campaign, pk=pk), request.user)
    return redirect("outreach:campaign", pk=pk)


@login_required
@require_POST
def campaign_test(request: HttpRequest, pk: int) -> HttpResponse:
    require_supervisor(request.user)
    found = get_object_or_404(Campaign, pk=pk)
    form = TestSendForm(request.POST)
    customer = Customer.objects.filter(pk=form.cleaned_data["customer"]).first() if form.is_valid() else None
    if customer is None or not found.text_for(form.cleaned_data["channel"]).strip():
        messages.error(request, _("Pick an existing customer and a channel this campaign has a message for."))
    else:
        campaign_services.send_test(found, customer, form.cleaned_data["channel"], request.user)
        messages.success(request, _("Test message sent to %(name)s.") % {"name": customer.display_name})
    return redirect("outreach:campaign", pk=pk)


@login_required
@require_POST
def reminders_import(request: HttpRequest) -> HttpResponse:
    require_supervisor(request.user)
    form = ReminderImportForm(request.POST, request.FILES)
    if form.is_valid():
        stored, errors = care.import_reminders(form.cleaned_data["file"].read())
        messages.success(request, _("%(n)s reminders stored.") % {"n": stored})
        for error in errors[:10]:
            messages.warning(request, error)
        record_audit(request.user, "outreach.reminders_imported", request.user, {"stored": stored})
    else:
        messages.error(request, _("Choose a CSV file."))
    return redirect("outreach:campaigns")


@login_required
def incident_list(request: HttpRequest) -> HttpResponse:
    require_supervisor(request.user)
    form = IncidentForm(request.POST or None, initial={"started_at": timezone.localtime().replace(second=0)})
    if request.method == "POST" and form.is_valid():
        incident = incidents.declare(actor=request.user, **form.cleaned_data)
        return redirect("outreach:incident", pk=incident.pk)
    return render(request, "outreach/incidents.html", {"incidents": selectors.incidents(), "form": form})


@login_required
def incident(request: HttpRequest, pk: int) -> HttpResponse:
    require_supervisor(request.user)
    found = get_object_or_404(Incident, pk=pk)
    notice = found.campaigns.first()
    return render(
        request,
        "outreach/incident.html",
        {
            "incident": found,
            "links": selectors.incident_conversations(found),
            "notice": notice,
            "results": campaign_services.results(notice) if notice else None,
            "update_form": UpdateForm(),
        },
    )


@login_required
@require_POST
def incident_notify(request: HttpRequest, pk: int) -> HttpResponse:
    require_supervisor(request.user)
    notice = incidents.notify_affected(get_object_or_404(Incident, pk=pk), request.user)
    return redirect("outreach:campaign", pk=notice.pk)


@login_required
@require_POST
def incident_update(request: HttpRequest, pk: int) -> HttpResponse:
    require_supervisor(request.user)
    found = get_object_or_404(Incident, pk=pk)
    form = UpdateForm(request.POST)
    if form.is_valid():
        if request.POST.get("resolve"):
            told = incidents.resolve(found, request.user, form.cleaned_data["text"])
        else:
            told = incidents.post_update(found, form.cleaned_data["text"], request.user)
        messages.success(request, _("%(n)s conversations were told.") % {"n": told})
    else:
        messages.error(request, _("Write the update first."))
    return redirect("outreach:incident", pk=pk)


@never_cache
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The link at the foot of every campaign email: a signed token, no sign-in; POST confirms."""
    customer_id = consent.customer_from_token(token)
    if customer_id is None or not Customer.objects.filter(pk=customer_id).exists():
        raise Http404
    done = False
    if request.method == "POST":
        consent.unsubscribe([customer_id], "email:link")
        done = True
    return render(request, "outreach/unsubscribe.html", {"done": done})
