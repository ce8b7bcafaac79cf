"""Family 1: role × object access with guessed ids (issue #12).

The URL patterns are enumerated from the resolver, so a new view must be classified here before the suite
passes: a new id-taking view needs a row in ``OBJECT_URLS`` (which object, who must be refused) or a place in
the public allow-list; a new page without ids is checked against anonymous visitors, customers, department
members and (unless listed) agents.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from dabai.insights.models import CaseShare, SavedSearch
from dabai.insights.services import rebuild_case_index

from . import registry
from .conftest import ROLES
from .roles import EVERYONE, HOT, NOT_ADMIN, NOT_DESK, NOT_SUPERVISOR, NOT_VOC, ONLINE
from .world import DRAFT_TITLE, build_world

MISSING_ID = 2_147_483_000


def _walk(patterns, prefix="", namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(
                p.url_patterns,
                prefix + str(p.pattern),
                namespace + (f"{p.namespace}:" if p.namespace else ""),
            )
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), namespace + (p.name or ""), dict(p.pattern.converters)


ALL_URLS = list(_walk(get_resolver().url_patterns))
ADMIN_URLS = [u for u in ALL_URLS if u[0].startswith("admin/")]
SITE_URLS = [u for u in ALL_URLS if not u[0].startswith("admin/")]

# Public doors: no login; each checks its own signature or shows published content only.
PUBLIC = {
    "healthz",
    "set_language",
    "javascript-catalog",
    "accounts:login",
    "accounts:logout",
    "channels:email_inbound",
    "channels:sms_inbound",
    "channels:phone_inbound",
    "channels:weibo_inbound",
    "channels:wechat",
    "channels:widget_js",
    "channels:chat_session",
    "channels:chat_demo",
    "help:home",
    "help:search",
    "help:suggest",
    "portal:sign_in",
    "portal:verify",
    "api:api-root",
    "api:openapi-json",
    "api:openapi-view",
    "api-not-found",
    # The satisfaction survey opens by a signed one-time token; a forged or used one is 404 / 410
    # (quality/tests/test_surveys.py).
    "quality:survey",
} | registry.union("PUBLIC")
# The REST API (dabai.api): no session reaches it, only a bearer token (its scopes are tested in dabai.api);
# every role signed in to the site gets a 401 there.
API_DOORS = {name for _, name, _ in SITE_URLS if name.startswith("api:") and name not in PUBLIC}
# Pages without ids that a role besides the desk may open.
CUSTOMER_PAGES = {"site:home", "portal:home", "portal:new"} | registry.union("CUSTOMER_PAGES")
DEPARTMENT_PAGES = {
    "site:home",
    "insights:front",
    "insights:cases",
    "insights:export",
    "insights:save_search",
} | registry.union("DEPARTMENT_PAGES")
AGENT_PAGES = {
    "site:home",
    "desk:inbox",
    "channels:log_call",
    "routing:complaints",
    "replies:macros",
    "replies:macro-search",
    "replies:mentions",
    "knowledge:list",
    "knowledge:new",
    "quality:mine",
} | registry.union("AGENT_PAGES")

# URL name → [(the object's key in the world, roles that must be refused)]; kwargs come from ``_kwargs``.
OBJECT_URLS = {
    "customers:detail": [("cust_hot", HOT), ("cust_online", ONLINE)],
    "customers:reveal": [("cust_hot", HOT), ("cust_online", ONLINE)],
    "customers:merge": [("cust_online", NOT_SUPERVISOR)],
    "customers:unmerge": [("merge", NOT_SUPERVISOR)],
    "desk:detail": [("conv_hot", HOT), ("conv_online", ONLINE), ("own_conv", ONLINE)],
    "desk:thread": [("conv_hot", HOT), ("conv_online", ONLINE)],
    "desk:status": [("conv_hot", HOT), ("conv_online", ONLINE)],
    "desk:assign": [("conv_hot", HOT), ("conv_online", ONLINE)],
    "channels:import_detail": [("import_job", NOT_SUPERVISOR)],
    "routing:agent_state": [("other_agent", NOT_DESK | {"agent"})],
    "routing:complaint_stage": [("complaint", ONLINE)],
    "routing:report_csv": [
        ("breaches", NOT_SUPERVISOR),
        ("decisions", NOT_SUPERVISOR),
        ("attainment", NOT_SUPERVISOR),
    ],
    "replies:macro-used": [("macro_personal", NOT_DESK | {"agent"}), ("macro_team", ONLINE)],
    "replies:macro-delete": [("macro_personal", NOT_DESK | {"agent"}), ("macro_team", NOT_SUPERVISOR)],
    "desk:draft": [("conv_hot", HOT), ("conv_online", ONLINE)],
    "desk:reveal": [("msg_hot", HOT), ("msg_online", ONLINE)],
    "desk:correct": [("msg_hot", HOT), ("msg_online", ONLINE)],
    "desk:mentions-read": [("conv_hot", HOT), ("conv_online", ONLINE)],
    "desk:send": [("conv_hot", HOT), ("conv_online", ONLINE)],
    "desk:next": [("conv_hot", NOT_DESK), ("conv_online", NOT_DESK)],
    "knowledge:detail": [("draft_article", NOT_DESK)],
    "knowledge:edit": [("draft_article", NOT_DESK), ("published", NOT_DESK)],
    "knowledge:status": [("draft_article", NOT_SUPERVISOR)],
    "knowledge:diff": [("draft_article", NOT_DESK)],
    "knowledge:draft_decide": [("review_draft", NOT_SUPERVISOR)],
    "knowledge:attachment_add": [("draft_article", NOT_DESK), ("published", NOT_DESK)],
    "knowledge:attachment_decide": [("pending_file", NOT_SUPERVISOR)],
    "knowledge:sms": [("published", NOT_DESK)],
    "knowledge:from_conversation": [("conv_hot", HOT), ("conv_online", ONLINE)],
    "knowledge:suggestions": [("conv_hot", HOT), ("conv_online", ONLINE)],
    "knowledge:synonym_delete": [("synonym", NOT_ADMIN)],
    "help:category": [("category", set())],  # open to all, but must not list the draft (checked by content)
    "help:article": [("draft_article", EVERYONE)],
    "help:feedback": [("draft_article", EVERYONE)],
    "help:short": [("draft_article", EVERYONE)],
    "portal:conversation": [("conv_hot", EVERYONE), ("conv_online", EVERYONE)],
    "portal:reply": [("conv_hot", EVERYONE), ("own_conv", EVERYONE - {"customer"})],
    "insights:case": [("conv_hot", NOT_VOC), ("conv_online", NOT_VOC)],
    "insights:share": [("conv_hot", NOT_VOC), ("conv_online", NOT_VOC)],
    "insights:shared": [("voc_share", NOT_VOC)],
    "insights:delete_search": [("voc_search", EVERYONE - {"supervisor"})],  # the supervisor's own search
    "learning:activate": [("filter_version", NOT_SUPERVISOR)],
    "knowledge-media": [("draft_file", NOT_DESK), ("pending_file", NOT_DESK)],
    "channels-media": [("mail_hot", HOT), ("mail_online", ONLINE)],
} | registry.merged("OBJECT_URLS")
KWARGS = registry.merged("KWARGS")
LOGIN_PAGES = ("/accounts/login/", "/portal/sign-in/", "/admin/login/")


def _kwargs(name: str, converters: dict, obj) -> dict:
    """The URL's arguments for ``obj`` (a model instance, or a string for the report kind)."""
    (param,) = converters
    if name in KWARGS:
        return KWARGS[name](obj)
    if isinstance(obj, str):
        return {param: obj}
    if name == "insights:shared":
        return {param: obj.token}
    if name == "help:short":
        return {param: _base36(obj.pk)}
    if param == "slug":
        return {param: obj.slug}
    if param == "name":
        prefix = "knowledge/" if name == "knowledge-media" else "channels/attachments/"
        return {param: obj.file.name.removeprefix(prefix)}
    return {param: obj.pk}


def _missing_kwargs(converters: dict) -> dict:
    ((param, converter),) = converters.items()
    kind = type(converter).__name__
    if kind == "IntConverter":
        return {param: MISSING_ID}
    if kind == "PathConverter":
        return {param: "2026/01/does-not-exist.txt"}
    return {param: "does-not-exist"}


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out or "0"


def refused(response) -> bool:
    if response.status_code in {400, 401, 403, 404, 405}:
        return True
    return response.status_code == 302 and response["Location"].split("?")[0].endswith(LOGIN_PAGES)


@pytest.fixture
def world(db, hotline, online, agent, other_agent, supervisor, admin_user, customer_user, department_member):
    w = build_world(
        hotline=hotline,
        online=online,
        agent=agent,
        other_agent=other_agent,
        supervisor=supervisor,
        admin_user=admin_user,
        customer_user=customer_user,
    )
    registry.extend_world(w, _people(locals()))
    rebuild_case_index()  # the portal's cases (the worker keeps them in step in production)
    w["voc_share"] = CaseShare.objects.create(
        token="world-share", conversation=w["conv_hot"], shared_by=supervisor
    )
    w["voc_search"] = SavedSearch.objects.create(owner=supervisor, name="宽带", query_string="q=宽带")
    return w


def _people(scope: dict) -> dict:
    names = ("hotline", "online", "agent", "other_agent", "supervisor", "admin_user", "customer_user")
    return {name: scope[name] for name in (*names, "department_member") if name in scope}


def test_every_url_with_an_id_is_classified():
    """A new view taking an id fails here until it says which object it shows and who must be refused."""
    unclassified = sorted(
        name
        for _, name, conv in SITE_URLS
        if conv and name not in OBJECT_URLS | dict.fromkeys(PUBLIC) | dict.fromkeys(API_DOORS)
    )
    assert not unclassified, f"classify these views in tests/security/access_<app>.py: {unclassified}"
    stale = sorted(set(OBJECT_URLS) - {name for _, name, conv in SITE_URLS if conv})
    assert not stale, f"these views no longer exist: {stale}"


WITH_IDS = [(route, name, conv) for route, name, conv in SITE_URLS if conv and name in OBJECT_URLS]


@pytest.mark.parametrize(("route", "name", "converters"), WITH_IDS, ids=[u[1] for u in WITH_IDS])
def test_no_role_reaches_an_object_it_must_not_see(world, as_role, route, name, converters):
    leaks = []
    clients = {role: as_role(role) for role in ROLES}
    for key, forbidden in OBJECT_URLS[name]:
        obj = world.get(key, key)
        url = reverse(name, kwargs=_kwargs(name, converters, obj))
        for role in ROLES:
            for method in ("get", "post"):
                response = getattr(clients[role], method)(url)
                if response.status_code >= 500:
                    leaks.append(f"{role} {method.upper()} {url}: {response.status_code}")
                elif role in forbidden and not refused(response):
                    leaks.append(f"{role} {method.upper()} {url} ({key}): {response.status_code}")
                elif name.startswith("help:") and DRAFT_TITLE in response.content.decode(errors="replace"):
                    leaks.append(f"{role} {method.upper()} {url}: the draft's title is shown")
                elif response.status_code == 302 and not refused(response):
                    location = response["Location"]
                    hidden = [k for k, f in (("conv_hot", HOT), ("conv_online", ONLINE)) if role in f]
                    if any(location.endswith(f"/inbox/{world[k].pk}/") for k in hidden):
                        leaks.append(f"{role} {method.upper()} {url}: redirected into {location}")
    assert not leaks, "\n".join(leaks)


@pytest.mark.parametrize(("route", "name", "converters"), WITH_IDS, ids=[u[1] for u in WITH_IDS])
def test_guessed_ids_that_do_not_exist_are_a_clean_refusal(world, as_role, route, name, converters):
    url = reverse(name, kwargs=_missing_kwargs(converters))
    bad = []
    for role in ROLES:
        client = as_role(role)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if response.status_code >= 500 or 200 <= response.status_code < 300:
                bad.append(f"{role} {method.upper()} {url}: {response.status_code}")
    assert not bad, "\n".join(bad)


PAGES = [(route, name) for route, name, conv in SITE_URLS if not conv and name not in PUBLIC | API_DOORS]
API = [(route, name, conv) for route, name, conv in SITE_URLS if name in API_DOORS]


@pytest.mark.parametrize(("route", "name", "converters"), API, ids=[u[1] for u in API])
def test_no_session_reaches_the_api(world, as_role, route, name, converters):
    url = reverse(name, kwargs=_missing_kwargs(converters) if converters else {})
    bad = []
    for role in ROLES:
        client = as_role(role)
        for method in ("get", "post", "patch"):
            response = getattr(client, method)(url)
            if response.status_code not in {401, 405}:
                bad.append(f"{role} {method.upper()} {url}: {response.status_code}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize(("route", "name"), PAGES, ids=[p[1] for p in PAGES])
def test_pages_without_ids_refuse_who_may_not_use_them(world, as_role, route, name):
    url = reverse(name)
    bad = []
    for role, allowed in (
        ("anonymous", set()),
        ("customer", CUSTOMER_PAGES),
        ("department", DEPARTMENT_PAGES),
        ("agent", AGENT_PAGES | CUSTOMER_PAGES - {"portal:home", "portal:new"}),
    ):
        client = as_role(role)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if response.status_code >= 500 or (name not in allowed and not refused(response)):
                bad.append(f"{role} {method.upper()} {url}: {response.status_code}")
    assert not bad, "\n".join(bad)


def _admin_url(route: str, converters: dict, world) -> str:
    url = "/" + route
    for param in converters:
        url = url.replace(f"<path:{param}>", str(world["audit"].pk)).replace(
            f"<{param}>", str(world["audit"].pk)
        )
    return url.replace("^", "").replace("$", "")


def test_the_admin_and_its_audit_log_are_for_staff_only(world, as_role):
    clients = {role: as_role(role) for role in ("anonymous", "customer", "department", "agent", "supervisor")}
    bad = []
    tried = 0
    for route, name, converters in ADMIN_URLS:
        if "(?P<" in route or ("<" not in route and converters) or name in {"admin:login", "admin:logout"}:
            continue
        url = _admin_url(route, converters, world)
        for role, client in clients.items():
            response = client.get(url)
            tried += 1
            if not refused(response):
                bad.append(f"{role} GET {url}: {response.status_code}")
    assert tried > 500
    assert not bad, "\n".join(bad[:40])
    audit = f"/admin/accounts/auditentry/{world['audit'].pk}/change/"
    assert as_role("admin").get(audit).status_code == 200
    assert as_role("admin").get(f"/admin/accounts/auditentry/{MISSING_ID}/change/").status_code == 302
