import functools
import importlib

from django.apps import apps
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from dabai.accounts.permissions import is_department_member, is_desk_user, is_supervisor


def navigation(request: HttpRequest) -> dict:
    """The menu a person sees depends on their role; nothing links to a page they may not open.

    Apps add their own entries in ``dabai.<app>.menu.items(user) -> list[dict]`` (``url``, ``label`` and an
    ``order`` that places them among the core entries below: 10, 20, 30…), so a new app never edits this file.
    """
    user = getattr(request, "user", None)
    items: list[dict] = []
    if user is not None and user.is_authenticated:
        items = _core_items(user)
        for menu in _app_menus():
            items.extend(menu.items(user))
        items.sort(key=lambda item: item.get("order", 100))
    for item in items:
        item["active"] = request.path.startswith(item["url"])
    return {"nav_items": items}


def _core_items(user) -> list[dict]:
    items: list[dict] = []
    if is_desk_user(user):
        items.append({"url": reverse("desk:inbox"), "label": _("Inbox"), "order": 10})
    if is_department_member(user) or is_supervisor(user):
        items.append({"url": reverse("insights:cases"), "label": _("Voice of the customer"), "order": 30})
    if is_supervisor(user):
        items.append({"url": reverse("quality:report"), "label": _("Quality"), "order": 50})
    elif is_desk_user(user):
        items.append({"url": reverse("quality:mine"), "label": _("My outcomes"), "order": 50})
    if user.role == "customer":
        items.append({"url": reverse("portal:home"), "label": _("My requests"), "order": 10})
    if is_supervisor(user):
        items.append({"url": reverse("learning:versions"), "label": _("Filter models"), "order": 80})
    if is_supervisor(user) and user.is_staff:
        items.append({"url": reverse("admin:index"), "label": _("Administration"), "order": 90})
    return items


@functools.cache
def _app_menus() -> tuple:
    found = []
    for config in apps.get_app_configs():
        if not config.name.startswith("dabai."):
            continue
        try:
            found.append(importlib.import_module(f"{config.name}.menu"))
        except ModuleNotFoundError as missing:
            if missing.name != f"{config.name}.menu":
                raise
    return tuple(found)
