"""Customers with their channel identities; merging a duplicate into the real customer."""

from django.db import transaction
from django.http import HttpRequest
from ninja import Query, Router

from dabai.api import selectors, services
from dabai.api.auth import need
from dabai.api.errors import ApiError
from dabai.api.schemas import CustomerOut, CustomerPage, MergeIn, MergeOut, Text
from dabai.api.scopes import Scope
from dabai.api.views.common import Cursor, Limit, PathId, found, responses, reveal
from dabai.customers import services as customer_services

router = Router(tags=["Customers"])


@router.get("/customers", response=responses({200: CustomerPage}), summary="List customers")
def list_customers(
    request: HttpRequest,
    q: Query[Text(max_length=100)] = "",
    include_merged: bool = False,
    cursor: Cursor = None,
    limit: Limit = 25,
):
    """Newest first; `q` matches a name or an exact channel handle. Scope `read:customers`."""
    token = need(request, Scope.READ_CUSTOMERS)
    rows, next_cursor = selectors.customer_page(token, q, include_merged, cursor, limit)
    pii = reveal(request, token, "customers", [c.pk for c in rows])
    return {"items": [selectors.customer_out(c, pii=pii) for c in rows], "next_cursor": next_cursor}


@router.get("/customers/{customer_id}", response=responses({200: CustomerOut}), summary="Get a customer")
def get_customer(request: HttpRequest, customer_id: PathId):
    """One customer with their handles on every channel (masked unless `read:pii`). Scope `read:customers`."""
    token = need(request, Scope.READ_CUSTOMERS)
    customer = found(selectors.customer_for(token, customer_id))
    pii = reveal(request, token, "customers", [customer.pk])
    return selectors.customer_out(customer, pii=pii)


@router.post(
    "/customers/{customer_id}/merge", response=responses({200: MergeOut}, 409), summary="Merge a customer"
)
def merge_customer(request: HttpRequest, customer_id: PathId, payload: MergeIn):
    """Fold this customer (a duplicate) into `into`: identities and conversations move; the merge is recorded
    and can be undone by an administrator. Audited under the token's name. Scope `write:customers`."""
    token = need(request, Scope.WRITE_CUSTOMERS)
    source = found(selectors.customer_for(token, customer_id))
    target = found(selectors.customer_for(token, payload.into))
    try:
        with transaction.atomic():
            merge = customer_services.merge_customers(source, target, actor=token.service_user)
            services.record_write(token, "customer.merge", target, {"source": source.pk}, request=request)
    except ValueError as refused:
        raise ApiError("conflict", params={"reason": str(refused)}) from None
    return {"merge_id": merge.pk, "source_id": source.pk, "target_id": target.pk}
