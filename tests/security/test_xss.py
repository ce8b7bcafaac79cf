"""Family 2: script payloads through every inbound channel, rendered in every view (issue #12).

Payloads arrive by SMS, email (subject, body, From name, attachment name), WeChat, Weibo (text and screen
name), a phone transcript, the chat widget and a portal request; then the inbox, every conversation page,
customer profiles, the case library, the CSV exports, the portal and help-centre search are rendered. No
response may carry the payload as markup.
"""

import re

import pytest
from django.test import Client

from dabai.channels import chat
from dabai.conversations.models import Conversation
from dabai.customers.models import Customer

from . import doors

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
LINK = '<a href="javascript:alert(1)">点我</a>'
PAYLOAD = f"{SCRIPT}{IMG}{LINK} javascript:alert(1)"
MARKUP = [
    re.compile(r"<script>alert\(1\)"),
    re.compile(r"<img src=x onerror", re.I),
    re.compile(r"""href\s*=\s*["']?\s*javascript:""", re.I),
]


def markup_in(text: str) -> list[str]:
    return [m.group(0) for pattern in MARKUP for m in [pattern.search(text)] if m]


@pytest.fixture
def delivered(db, django_capture_on_commit_callbacks, customer_user):
    """The payload through every door, stored (each door must accept it: these are ordinary messages)."""
    client = Client(raise_request_exception=False)
    capture = django_capture_on_commit_callbacks

    def send(label, url, body, content_type="application/json"):
        outcome = doors.deliver(client, capture, f"xss-{label}", url, body, content_type=content_type)
        assert outcome.status < 300 and outcome.held, outcome

    send("sms", doors.SMS, doors.as_json(doors.sms(text=PAYLOAD)))
    send("email-body", doors.EMAIL, doors.email(body=PAYLOAD), "message/rfc822")
    send(
        "email-headers",
        doors.EMAIL,
        doors.email(
            subject=PAYLOAD,
            from_name=IMG,
            address="x@example.cn",
            attachment_header=f'attachment; filename="{IMG}.txt"',
        ),
        "message/rfc822",
    )
    send("wechat", doors.WECHAT, doors.wechat_xml(content=PAYLOAD).encode(), "text/xml")
    item = doors.weibo_item(text=PAYLOAD, user={"id": 99, "screen_name": IMG})
    send("weibo", doors.WEIBO, doors.as_json({"statuses": [item]}))
    transcript = [{"speaker": "customer", "text": PAYLOAD}]
    send("phone", doors.PHONE, doors.as_json(doors.call(transcript=transcript, summary=PAYLOAD)))
    with capture(execute=True):
        visitor = chat.start_visitor()
        chat.receive_chat_message(visitor, PAYLOAD, "xss-1")
        chat.identify_visitor(visitor, name=IMG, email="v@example.cn")
    portal = Client()
    portal.force_login(customer_user)
    Customer.objects.get_or_create(portal_user=customer_user, defaults={"display_name": IMG})
    with capture(execute=True):
        response = portal.post("/portal/new/", {"subject": PAYLOAD, "body": PAYLOAD})
    assert response.status_code == 302, response.status_code
    doors.drain(capture)
    assert Conversation.objects.count() >= 7
    return portal


def _pages(as_role, portal):
    supervisor, department = as_role("supervisor"), as_role("department")
    yield "inbox", supervisor.get("/inbox/", {"status": ""})
    yield "inbox-htmx", supervisor.get("/inbox/", {"status": ""}, HTTP_HX_REQUEST="true")
    for conversation in Conversation.objects.all():
        pk = conversation.pk
        yield f"conversation {pk}", supervisor.get(f"/inbox/{pk}/")
        yield f"thread {pk}", supervisor.get(f"/inbox/{pk}/thread/")
        yield f"suggestions {pk}", supervisor.get(f"/kb/suggestions/{pk}/")
        yield f"draft {pk}", supervisor.get(f"/replies/draft/{pk}/")
        yield f"case {pk}", department.get(f"/voc/cases/{pk}/")
        yield (
            f"customer {conversation.customer_id}",
            supervisor.get(f"/customers/{conversation.customer_id}/"),
        )
        yield (
            f"reveal {conversation.customer_id}",
            supervisor.post(f"/customers/{conversation.customer_id}/reveal/"),
        )
        article = supervisor.post(f"/kb/from-conversation/{pk}/")
        if article.status_code == 302:
            yield f"article from {pk}", supervisor.get(article["Location"])
    yield "case library", department.get("/voc/cases/")
    yield "case library page 2", department.get("/voc/cases/", {"page": 2})
    yield "mentions", supervisor.get("/replies/mentions/")
    yield "complaints", supervisor.get("/routing/complaints/")
    yield "dashboard", supervisor.get("/routing/")
    yield "knowledge", supervisor.get("/kb/")
    yield "knowledge search", supervisor.get("/kb/", {"q": PAYLOAD})
    for kind in ("attainment", "breaches", "decisions"):
        yield f"{kind}.csv", supervisor.get(f"/routing/reports/{kind}.csv", {"group": PAYLOAD})
    yield "help search", Client().get("/help/search/", {"q": PAYLOAD})
    yield "help suggest", Client().get("/help/suggest/", {"q": PAYLOAD})
    yield "portal home", portal.get("/portal/")
    for conversation in Conversation.objects.filter(customer__portal_user__isnull=False):
        yield (
            f"portal conversation {conversation.pk}",
            portal.get(f"/portal/conversations/{conversation.pk}/"),
        )
    yield "chat history", chat_history()
    yield "macro search", supervisor.get("/replies/macros/search/", {"q": PAYLOAD})


def chat_history():
    from dabai.channels.models import ChatVisitor

    visitor = ChatVisitor.objects.first()
    client = Client()
    return client.post(
        doors.CHAT_SESSION, data={"visitor": chat.sign_visitor(visitor)}, content_type="application/json"
    )


def test_no_inbound_payload_is_rendered_as_markup_anywhere(delivered, as_role):
    problems, rendered = [], 0
    for name, response in _pages(as_role, delivered):
        rendered += 1
        text = response.content.decode(errors="replace")
        if response.status_code >= 500:
            problems.append(f"{name}: {response.status_code}")
        elif response.get("Content-Type", "").startswith("application/json"):
            continue  # data for scripts that insert it as text, never parsed as markup
        elif found := markup_in(text):
            problems.append(f"{name} ({response.status_code}, {response.get('Content-Type')}): {found}")
    assert rendered > 60
    assert not problems, "\n".join(problems)


def test_the_payload_really_reached_the_pages(delivered, as_role):
    """Guard against a vacuous pass: the escaped payload is on the conversation page."""
    conversation = Conversation.objects.filter(channel="sms").first()
    page = as_role("supervisor").get(f"/inbox/{conversation.pk}/").content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_csv_exports_neutralise_formulas(db, as_role):
    for kind in ("attainment", "breaches", "decisions"):
        response = as_role("supervisor").get(f"/routing/reports/{kind}.csv", {"group": "=cmd|'/C calc'!A0"})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        for line in response.content.decode("utf-8-sig").splitlines():
            for cell in line.split(","):
                assert not cell.strip('"').startswith(("=", "+", "@")), (kind, line)
