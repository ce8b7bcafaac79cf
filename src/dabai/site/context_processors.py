from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from dabai.accounts.permissions import is_department_member, is_desk_user, is_supervisor


def navigation(request: HttpRequest) -> dict:
    """The menu a person sees depends on their role; nothing links to a page they may not open."""
    user = getattr(request, "user", None)
    items: list[dict] = []
    if user is not None and user.is_authenticated:
        if is_desk_user(user):
            items.append({"url": reverse("conversations:inbox"), "label": _("Inbox")})
        if is_department_member(user) or is_supervisor(user):
            items.append({"url": reverse("insights:cases"), "label": _("Voice of the customer")})
        if is_supervisor(user):
            items.append({"url": reverse("quality:report"), "label": _("Quality")})
        elif is_desk_user(user):
            items.append({"url": reverse("quality:mine"), "label": _("My outcomes")})
        if user.role == "customer":
            items.append({"url": reverse("portal:home"), "label": _("My requests")})
        if is_supervisor(user):
            items.append({"url": reverse("learning:versions"), "label": _("Filter models")})
        if is_supervisor(user) and user.is_staff:
            items.append({"url": reverse("admin:index"), "label": _("Administration")})
    for item in items:
        item["active"] = request.path.startswith(item["url"])
    return {"nav_items": items}
