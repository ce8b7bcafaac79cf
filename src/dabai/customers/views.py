from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dabai.accounts.permissions import require_desk_user, require_supervisor
from dabai.accounts.services import record_audit
from dabai.conversations.selectors import customer_conversations
from dabai.core.params import parse_id
from dabai.customers import selectors, services
from dabai.customers.models import Customer, CustomerMerge


@login_required
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One customer, every channel: the history an agent reads before answering."""
    require_desk_user(request.user)
    customer = selectors.visible_customer(request.user, pk)
    if customer is None:
        raise Http404
    conversations = customer_conversations(request.user, pk)
    record_audit(request.user, "customer.view", customer, request=request)
    merges = CustomerMerge.objects.filter(target=customer, undone_at__isnull=True).select_related("source")
    return render(
        request,
        "customers/detail.html",
        {
            "customer": customer,
            "identities": selectors.identities(customer),
            "conversations": conversations[:200],
            "merges": merges,
        },
    )


@login_required
@require_POST
def reveal_identities(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one customer's handles unmasked. Deliberate (a POST from a click) and written to the audit log."""
    require_desk_user(request.user)
    customer = selectors.visible_customer(request.user, pk)
    if customer is None:
        raise Http404
    services.reveal_identities(customer, request.user, request)
    shown = selectors.identities(customer, revealed=True)
    return render(
        request, "customers/_identities.html", {"customer": customer, "identities": shown, "revealed": True}
    )


@login_required
@require_POST
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Supervisors fold a duplicate customer (by id) into this one."""
    require_supervisor(request.user)
    target = get_object_or_404(Customer, pk=pk)
    source_id = parse_id(request.POST.get("source"))
    source = Customer.objects.filter(pk=source_id).first() if source_id is not None else None
    if source is None:
        messages.error(request, _("No customer with that number."))
    else:
        try:
            services.merge_customers(source, target, actor=request.user)
        except ValueError as exc:
            messages.error(request, str(exc))
        else:
            shown = selectors.shown_name(source.display_name)
            messages.success(request, _("%(source)s was merged into this customer.") % {"source": shown})
    return redirect("customers:detail", pk=target.pk)


@login_required
@require_POST
def unmerge(request: HttpRequest, pk: int) -> HttpResponse:
    require_supervisor(request.user)
    record = get_object_or_404(CustomerMerge, pk=pk)
    try:
        services.unmerge_customers(record, actor=request.user)
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The merge was undone."))
    return redirect("customers:detail", pk=record.target_id)
