from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from dabai.accounts.permissions import require_desk_user
from dabai.conversations.selectors import customer_conversations
from dabai.customers.models import Customer


@login_required
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One customer, every channel: the history an agent reads before answering."""
    require_desk_user(request.user)
    customer = Customer.objects.prefetch_related("identities", "tags").filter(pk=pk).first()
    if customer is None:
        raise Http404
    conversations = customer_conversations(request.user, pk)
    if not conversations.exists() and request.user.role not in {"admin", "supervisor"}:
        raise Http404
    return render(
        request, "customers/detail.html", {"customer": customer, "conversations": conversations[:200]}
    )
