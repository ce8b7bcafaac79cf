"""Each app's own page of the access registry: ``tests/security/access_<app>.py``.

Apps built later classify their views in a file of their own instead of editing ``test_access.py``, so
the registry grows without collisions. A file may define any of these names, all optional:

- ``PUBLIC``, ``CUSTOMER_PAGES``, ``DEPARTMENT_PAGES``, ``AGENT_PAGES``: sets of URL names (as in
  ``test_access.py``);
- ``CSRF_EXEMPT``: URL names that outside callers sign instead of sending a CSRF token;
- ``OBJECT_URLS``: URL name → [(the object's key in the world, roles that must be refused)] (role sets in
  ``roles.py``);
- ``KWARGS``: URL name → ``function(obj) -> dict`` when the URL's argument is not the object's pk;
- ``extend_world(world, people)``: adds the app's objects to the world (``people`` holds the fixtures:
  hotline, online, agent, other_agent, supervisor, admin_user, customer_user, department_member).
"""

import importlib
import pkgutil
from pathlib import Path

PAGES = [
    importlib.import_module(f"{__package__}.{info.name}")
    for info in pkgutil.iter_modules([str(Path(__file__).parent)])
    if info.name.startswith("access_")
]


def union(name: str) -> set:
    """The union of one set over every app's page."""
    out: set = set()
    for page in PAGES:
        out |= set(getattr(page, name, ()))
    return out


def merged(name: str) -> dict:
    """One dict merged from every app's page (a URL name classified twice is a mistake)."""
    out: dict = {}
    for page in PAGES:
        extra = getattr(page, name, {})
        twice = set(out) & set(extra)
        assert not twice, f"{sorted(twice)} classified twice in tests/security/access_*.py"
        out |= extra
    return out


def extend_world(world: dict, people: dict) -> None:
    for page in PAGES:
        if hasattr(page, "extend_world"):
            page.extend_world(world, people)
