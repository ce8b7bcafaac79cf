"""Family 6: personal data leaving the desk (issue #12, finding 5).

A department member browsing every page of the case library never sees an unmasked phone, ID number, bank
card, e-mail address or customer name, spaced, dotted or dashed variants included. CSV exports are for
supervisors, and mask free text too.
"""

import re

import pytest

from dabai.conversations.models import Status
from dabai.insights.services import rebuild_case_index
from dabai.testing import ConversationFactory, CustomerFactory, MessageFactory

SECRETS = [
    "13812345678",
    "138 1234 5678",
    "138.1234.5678",
    "138-1234-5678",
    "138 12345678",
    "+86 138 1234 5678",
    "110101199003074514",
    "110101 19900307 4514",
    "110101-19900307-4514",
    "110101199003074515",  # wrong check digit
    "11010119900307451X",
    "6222021234567890128",
    "6222 0212 3456 7890 128",
    "6222-0212-3456-7890-128",
    "li.si@example.cn",
]
NAMES = ["张三丰", "欧阳娜娜"]


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


@pytest.fixture
def leaky_cases(db, hotline):
    conversations = []
    for index, secret in enumerate(SECRETS * 2):  # 30 cases: the library has a second page
        customer = CustomerFactory(display_name=NAMES[index % 2])
        conversation = ConversationFactory(
            customer=customer, team=hotline, status=Status.RESOLVED, subject=f"关于{secret}"
        )
        MessageFactory(conversation=conversation, body=f"我的号码是{secret}，请回电")
        MessageFactory(conversation=conversation, body=f"{NAMES[index % 2]}再说一次：{secret} 宽带断网")
        conversations.append(conversation)
    rebuild_case_index()  # the portal reads its case index (the worker keeps it in step in production)
    return conversations


def _leaks(text: str) -> list[str]:
    found = [s for s in SECRETS + NAMES if s in text]
    runs = set(re.findall(r"\d[\d .\-]{9,}\d", text))
    found += [r for r in runs if len(_digits(r)) >= 11 and any(_digits(s) in _digits(r) for s in SECRETS)]
    return found


def test_department_member_sees_no_personal_data_on_any_case_library_page(leaky_cases, as_role):
    client = as_role("department")
    problems, pages = [], 0
    for number in range(1, 4):
        response = client.get("/voc/cases/", {"page": number})
        assert response.status_code == 200
        pages += 1
        if leaks := _leaks(response.content.decode()):
            problems.append(f"/voc/cases/?page={number}: {leaks}")
    for conversation in leaky_cases:
        response = client.get(f"/voc/cases/{conversation.pk}/")
        assert response.status_code == 200
        pages += 1
        if leaks := _leaks(response.content.decode()):
            problems.append(f"/voc/cases/{conversation.pk}/: {leaks}")
    assert pages == 33
    assert not problems, "\n".join(problems)


def test_department_member_sees_no_personal_data_in_voc_search_export_or_share_links(leaky_cases, as_role):
    """The portal's other doors: full-text search with facets, the front page, the CSV export of the
    filtered set, share links, and searching for the secrets themselves (the index holds masked text only)."""
    client = as_role("department")
    problems = []
    urls = [
        "/voc/",
        "/voc/cases/?q=宽带断网",
        "/voc/cases/?q=宽带断网&channel=chat&sentiment=negative",
        "/voc/cases/export.csv",
        "/voc/cases/export.csv?q=宽带断网",
        *[f"/voc/cases/?q={probe}" for probe in SECRETS + NAMES],
        *[f"/voc/cases/export.csv?q={probe}" for probe in SECRETS[:3] + NAMES],
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode("utf-8-sig")
        text = re.sub(
            r'name="next" type="hidden" value="[^"]*"', "", text
        )  # the language form echoes the URL
        for name in NAMES:  # a name the member typed is echoed in the search box, and finds nothing
            if url.endswith(f"q={name}") and "/export" not in url:
                assert 'data-testid="voc-total">0' in text
                text = text.replace(f'value="{name}"', "")
        if leaks := _leaks(text):
            problems.append(f"{url}: {leaks}")
    export = client.get("/voc/cases/export.csv").content.decode("utf-8-sig")
    assert len(export.splitlines()) > len(SECRETS)  # one row per conversation, and rows hold the text
    for conversation in leaky_cases[:5]:
        shared = client.post(f"/voc/cases/{conversation.pk}/share/", {"note": f"看看{SECRETS[0]}"})
        assert shared.status_code == 302
        page = client.get(shared["Location"]).content.decode()
        link = re.search(r'value="https?://[^/]+(/voc/s/[^/"]+/)"', page)
        assert link, "the share link is shown to its author"
        opened = as_role("supervisor").get(link.group(1))
        for response in (page, opened.content.decode()):
            if leaks := _leaks(response):
                problems.append(f"share of {conversation.pk}: {leaks}")
    assert not problems, "\n".join(problems)


def test_exports_are_not_for_departments(db, as_role):
    for kind in ("attainment", "breaches", "decisions"):
        assert as_role("department").get(f"/routing/reports/{kind}.csv").status_code == 403


def test_supervisor_csv_exports_carry_no_personal_data(leaky_cases, as_role):
    from django.utils import timezone

    from dabai.routing.models import RoutingDecision, SlaBreach, SlaClock

    now = timezone.now()
    for conversation, secret in zip(leaky_cases, SECRETS, strict=False):
        RoutingDecision.objects.create(
            conversation=conversation, at=now, rule="probe", reason=f"客户说{secret}"
        )
        clock = SlaClock.objects.create(
            conversation=conversation,
            kind="first_response",
            started_at=now,
            due_at=now,
            channel="chat",
            target_minutes=1,
        )
        SlaBreach.objects.create(clock=clock, conversation=conversation, at=now, reason=f"超时{secret}")
    for kind in ("breaches", "decisions"):
        text = as_role("supervisor").get(f"/routing/reports/{kind}.csv").content.decode("utf-8-sig")
        assert len(text.splitlines()) > len(SECRETS)
        assert not _leaks(text), (kind, _leaks(text))
