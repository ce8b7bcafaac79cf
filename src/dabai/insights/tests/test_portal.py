"""The case library people use: full-text search over masked cases with facets and counts, the masked case
page with the filter's badges, saved searches, exports, share links, audit, and what is rising this week."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dabai.accounts.models import AuditEntry
from dabai.channels.models import CallRecord
from dabai.conversations.models import Direction
from dabai.conversations.services import PastConversation, PastMessage, record_history
from dabai.customers.models import Tier
from dabai.insights import selectors
from dabai.insights.models import SavedSearch
from dabai.insights.services import rebuild_case_index
from dabai.testing import CustomerFactory


def _history(rows, *, now=None):
    """rows: (days ago, channel, customer text, tier, customer name)."""
    now = now or timezone.now()
    past = []
    for days, channel, text, tier, name in rows:
        at = now - timedelta(days=days, hours=1)
        customer = CustomerFactory(display_name=name, tier=tier)
        past.append(
            PastConversation(
                customer=customer,
                channel=channel,
                subject="",
                messages=[
                    PastMessage(Direction.INBOUND, text, at),
                    PastMessage(
                        Direction.OUTBOUND, "您好，已为您登记，我们会尽快处理。", at + timedelta(minutes=5)
                    ),
                ],
            )
        )
    conversations = record_history(past)
    rebuild_case_index()
    return conversations


@pytest.fixture
def library(db):
    return _history(
        [
            (1, "phone", "家里宽带断网三天了，一直没人来修，太气人了！我要投诉", Tier.VIP, "王小明"),
            (2, "chat", "宽带断网了，路由器灯一直红，怎么办", Tier.REGULAR, "李雷"),
            (3, "email", "我想问一下宽带套餐怎么升级到千兆", Tier.REGULAR, "韩梅梅"),
            (4, "chat", "快递三天还没到，订单一直显示运输中", Tier.PREMIUM, "赵四"),
            (5, "wechat", "谢谢你们的客服，问题解决得很快，非常满意", Tier.REGULAR, "钱五"),
        ]
    )


def test_search_finds_every_case_holding_all_words_and_ranks_the_closest_first(
    library, department_member, client_for
):
    page = client_for(department_member).get(reverse("insights:cases"), {"q": "宽带断网"}).content.decode()
    assert 'data-testid="voc-total">2' in page  # both broadband-outage cases, not the upgrade question
    first, second = library[0].pk, library[1].pk
    assert page.index(f">#{first}<") < page.index(f">#{second}<") or page.index(f">#{second}<") < page.index(
        f">#{first}<"
    )
    assert "<mark>" in page and f">#{library[2].pk}<" not in page


def test_facets_count_the_matching_cases_and_narrow_the_list(library, department_member, client_for):
    filters = selectors.CaseFilters(q="宽带")
    counts = {f.key: {v.value: v.count for v in f.values} for f in selectors.facets(filters)}
    assert sum(counts["channel"].values()) == 3
    assert counts["channel"] == {"chat": 1, "email": 1, "phone": 1}
    assert counts["tier"] == {"regular": 2, "vip": 1}
    page = client_for(department_member).get(reverse("insights:cases"), {"q": "宽带", "channel": "phone"})
    assert 'data-testid="voc-total">1' in page.content.decode()
    # a facet's own counts ignore its own selection, so other channels stay one click away
    chosen = selectors.CaseFilters(q="宽带", chosen={"channel": ["phone"]})
    channel = next(f for f in selectors.facets(chosen) if f.key == "channel")
    assert {v.value: (v.count, v.selected) for v in channel.values}["phone"] == (1, True)
    assert {v.value for v in channel.values} == {"chat", "email", "phone"}


def test_search_and_facets_give_the_same_cases_on_sqlite_and_postgresql(library):
    """Matching runs in each database's own index; the order is our BM25, so both give the same list."""
    filters = selectors.CaseFilters(q="断网")
    _page, rows, total = selectors.results(filters, 1)
    assert total == 2 and {r.pk for r in rows} == {library[0].pk, library[1].pk}
    date_filtered = selectors.CaseFilters(
        since=timezone.localdate(timezone.now() - timedelta(days=2, hours=1))
    )
    assert selectors.results(date_filtered, 1)[2] == 2


def test_case_page_shows_the_masked_thread_with_badges_and_reasons(db, department_member, client_for):
    conversation = _history(
        [(1, "chat", "我是王小明，手机13812345678，宽带断网三天了，我要投诉！", Tier.VIP, "王小明")]
    )[0]
    page = (
        client_for(department_member).get(reverse("insights:case", args=[conversation.pk])).content.decode()
    )
    assert "13812345678" not in page and "王小明" not in page
    assert "138****5678" in page and "王**" in page
    assert 'data-testid="insight"' in page and 'data-testid="why"' in page
    assert "投诉" in page  # a reason, shown masked like the text
    assert AuditEntry.objects.filter(action="case.view", object_id=str(conversation.pk)).count() == 1


def test_call_transcript_is_masked_and_the_recording_only_for_supervisors(
    db, department_member, supervisor, client_for
):
    conversation = _history([(1, "phone", "宽带断网了，我的电话13812345678", Tier.REGULAR, "周杰")])[0]
    message = conversation.messages.get(direction=Direction.INBOUND)
    CallRecord.objects.create(
        message=message,
        call_id="c-1",
        caller="13812345678",
        duration_seconds=95,
        recording_url="https://records.example.cn/c-1.mp3",
        transcript=[
            {"speaker": "customer", "text": "我叫周杰，电话13812345678，宽带断网", "start": 0},
            {"speaker": "agent", "text": "好的，马上为您报修", "start": 5},
        ],
        started_at=message.sent_at,
    )
    url = reverse("insights:case", args=[conversation.pk])
    member_page = client_for(department_member).get(url).content.decode()
    assert 'data-testid="transcript"' in member_page and "马上为您报修" in member_page
    assert "13812345678" not in member_page and "周杰" not in member_page
    assert "c-1.mp3" not in member_page
    assert "c-1.mp3" in client_for(supervisor).get(url).content.decode()


def test_agents_and_customers_stay_out_of_the_portal(library, agent, customer_user, client_for):
    for user in (agent, customer_user):
        client = client_for(user)
        for url in (
            reverse("insights:front"),
            reverse("insights:cases"),
            reverse("insights:export"),
            reverse("insights:case", args=[library[0].pk]),
        ):
            assert client.get(url).status_code in (302, 403), (user.role, url)


def test_export_is_one_masked_formula_safe_row_per_conversation_and_audited(
    db, department_member, client_for
):
    _history(
        [
            (1, "chat", '=HYPERLINK("http://evil") 宽带断网 13812345678', Tier.REGULAR, "冯一"),
            (2, "email", "宽带断网，联系我 li.si@example.cn", Tier.REGULAR, "冯二"),
            (3, "chat", "快递没到", Tier.REGULAR, "冯三"),
        ]
    )
    response = client_for(department_member).get(reverse("insights:export"), {"q": "宽带断网"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 3  # header + the two matching conversations
    said = [row[11] for row in rows[1:]]
    assert any(s.startswith("'=") for s in said)  # a formula is shown as text
    assert not any("13812345678" in s or "li.si@example.cn" in s for s in said)
    assert all(row[12].startswith("http://testserver/voc/cases/") for row in rows[1:])
    entry = AuditEntry.objects.get(action="case.export")
    assert entry.detail["rows"] == 2 and "q=" in entry.detail["filters"]


def test_saved_searches_belong_to_their_owner(library, department_member, supervisor, client_for):
    client = client_for(department_member)
    response = client.post(
        reverse("insights:save_search"), {"name": "宽带投诉", "q": "宽带", "channel": "phone", "page": "3"}
    )
    saved = SavedSearch.objects.get(owner=department_member)
    assert saved.query_string == "q=%E5%AE%BD%E5%B8%A6&channel=phone"
    assert response["Location"].endswith(saved.query_string)
    assert "宽带投诉" in client.get(reverse("insights:cases")).content.decode()
    assert "宽带投诉" not in client_for(supervisor).get(reverse("insights:cases")).content.decode()
    assert client_for(supervisor).post(reverse("insights:delete_search", args=[saved.pk])).status_code == 404
    assert client.post(reverse("insights:delete_search", args=[saved.pk])).status_code == 302
    assert not SavedSearch.objects.exists()


def test_share_link_opens_the_masked_case_for_readers_only_and_is_audited(
    library, department_member, supervisor, agent, client_for
):
    pk = library[0].pk
    response = client_for(department_member).post(
        reverse("insights:share", args=[pk]), {"note": "请产品看看"}
    )
    page = client_for(department_member).get(response["Location"]).content.decode()
    assert 'data-testid="share-link"' in page
    token = response["Location"].split("shared=")[1]
    assert client_for(agent).get(reverse("insights:shared", args=[token])).status_code == 403
    opened = client_for(supervisor).get(reverse("insights:shared", args=[token]))
    assert opened.status_code == 200 and "王小明" not in opened.content.decode()
    assert client_for(supervisor).get(reverse("insights:shared", args=["nope"])).status_code == 404
    actions = set(AuditEntry.objects.filter(object_id=str(pk)).values_list("action", flat=True))
    assert {"case.share", "case.share_open"} <= actions
