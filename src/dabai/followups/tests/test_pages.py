"""The follow-up pages as people use them: a supervisor opens one from a case, the department works its queue
(comments, status changes through htmx), agents hear when it is done; departments never see another
department's follow-ups, and no page or export shows a customer's phone, ID number or name."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dabai.accounts.models import AuditEntry
from dabai.conversations.models import Direction, Message
from dabai.conversations.services import add_note
from dabai.followups import services
from dabai.followups.models import CaseMention, EventKind, FollowUp, Notice, NoticeKind, Status
from dabai.testing import MessageFactory

SECRETS = ("13812345678", "110101199003074514", "王小明", "13987654321", "李雷")


def _clean(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


@pytest.fixture
def opened(product, supervisor, hot_case):
    return services.open_followup(
        title="APP升级后闪退",
        department=product,
        opened_by=supervisor,
        description="王小明说一打开就闪退，手机13812345678",
        conversations=[hot_case],
        due=timezone.localdate() - timedelta(days=1),
    )


@pytest.fixture
def refund(finance, supervisor, online_case):
    return services.open_followup(
        title="退款到账慢", department=finance, opened_by=supervisor, conversations=[online_case]
    )


def test_a_supervisor_opens_a_follow_up_from_a_case(client_for, supervisor, product, hot_case):
    client = client_for(supervisor)
    page = client.get(reverse("followups:new") + f"?conversation={hot_case.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'value="{hot_case.pk}"' in html and f"#{hot_case.pk}" in html
    assert not _clean(html)  # the case preview is masked
    response = client.post(
        reverse("followups:new"),
        {
            "title": "APP 3.2 闪退",
            "department": product.pk,
            "description": "",
            "due": "",
            "conversations": str(hot_case.pk),
            "topic_key": "app_crash",
            "source": "case",
            "source_ref": "",
        },
    )
    item = FollowUp.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("followups:detail", args=[item.pk])
    assert list(item.conversations.all()) == [hot_case] and item.opened_by == supervisor


def test_bad_input_on_the_open_form_keeps_what_was_typed(client_for, supervisor, product):
    response = client_for(supervisor).post(
        reverse("followups:new"),
        {"title": "账单错误", "department": product.pk, "conversations": "12, abc", "source": "case"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "abc" in html and "账单错误" in html
    response = client_for(supervisor).post(
        reverse("followups:new"),
        {"title": "账单错误", "department": product.pk, "conversations": "999999", "source": "case"},
    )
    assert response.status_code == 400 and "999999" in response.content.decode()
    assert not FollowUp.objects.exists()


def test_topic_and_emerging_issue_prefill_the_same_form(client_for, supervisor):
    html = client_for(supervisor).get(
        reverse("followups:new") + "?emerging=broadband_outage&title=宽带断网激增"
    )
    text = html.content.decode()
    assert 'value="broadband_outage"' in text and "宽带断网激增" in text
    assert '<option value="emerging" selected>' in text


def test_only_supervisors_open_follow_ups(client_for, department_member, agent):
    assert client_for(department_member).get(reverse("followups:new")).status_code == 403
    assert client_for(agent).get(reverse("followups:new")).status_code == 403


def test_the_department_sees_its_own_queue_and_never_another_departments(
    client_for, department_member, opened, refund
):
    client = client_for(department_member)
    html = client.get(reverse("followups:queue")).content.decode()
    assert "APP升级后闪退" in html and "退款到账慢" not in html
    assert client.get(reverse("followups:detail", args=[refund.pk])).status_code == 404
    assert client.post(reverse("followups:comment", args=[refund.pk]), {"body": "x"}).status_code == 404
    overdue = client.get(reverse("followups:queue") + "?overdue=1").content.decode()
    assert "APP升级后闪退" in overdue
    export = client.get(reverse("followups:export") + "?status=all").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(export)))
    assert [r[1] for r in rows[1:]] == ["APP升级后闪退"]
    assert AuditEntry.objects.filter(action="followup.export", actor=department_member).exists()


def test_the_department_replies_and_closes_with_htmx_and_the_agent_is_told(
    client_for, department_member, opened, agent, supervisor
):
    client = client_for(department_member)
    htmx = {"HTTP_HX_REQUEST": "true"}
    panel = client.post(
        reverse("followups:comment", args=[opened.pk]), {"body": "已复现，下个版本修复"}, **htmx
    )
    assert panel.status_code == 200 and "已复现，下个版本修复" in panel.content.decode()
    assert opened.events.filter(kind=EventKind.REPLY).exists()
    refused = client.post(
        reverse("followups:status", args=[opened.pk]), {"status": "done", "note": ""}, **htmx
    )
    assert "Say what was done" in refused.content.decode() or "说明" in refused.content.decode()
    opened.refresh_from_db()
    assert opened.status == Status.OPEN
    done = client.post(
        reverse("followups:status", args=[opened.pk]), {"status": "done", "note": "3.2.1 已修复闪退"}, **htmx
    )
    assert done.status_code == 200 and "3.2.1 已修复闪退" in done.content.decode()
    opened.refresh_from_db()
    assert opened.status == Status.DONE
    notice = Notice.objects.get(recipient=agent, kind=NoticeKind.DONE)
    page = client_for(agent).get(reverse("followups:notices")).content.decode()
    assert "3.2.1 已修复闪退" in page and 'data-testid="fu-draft"' in page
    go = client_for(agent).post(reverse("followups:notice_read", args=[notice.pk]), {"go": "1"})
    assert go["Location"] == f"/inbox/{notice.conversation_id}/"
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_agents_see_the_follow_ups_of_their_cases_but_cannot_change_them(
    client_for, agent, other_agent, opened
):
    client = client_for(agent)
    assert "APP升级后闪退" in client.get(reverse("followups:queue")).content.decode()
    assert client.get(reverse("followups:detail", args=[opened.pk])).status_code == 200
    assert (
        client.post(
            reverse("followups:status", args=[opened.pk]), {"status": "done", "note": "x"}
        ).status_code
        == 403
    )
    assert client_for(other_agent).get(reverse("followups:detail", args=[opened.pk])).status_code == 404


def test_the_desk_panel_lists_the_customers_open_follow_ups(client_for, agent, other_agent, opened, hot_case):
    url = reverse("followups:for_customer", args=[hot_case.customer_id])
    assert "APP升级后闪退" in client_for(agent).get(url).content.decode()
    assert client_for(other_agent).get(url).status_code == 404


def test_an_agent_asks_a_department_member_who_answers_in_a_note(
    client_for, agent, department_member, hot_case
):
    response = client_for(agent).post(
        reverse("followups:ask", args=[hot_case.pk]),
        {"member": department_member.pk, "body": "3.2 闪退是已知问题吗？"},
    )
    assert response.status_code == 302
    mention = CaseMention.objects.get()
    assert mention.note.direction == Direction.NOTE and "@product" in mention.note.body
    member = client_for(department_member)
    listing = member.get(reverse("followups:mentions")).content.decode()
    assert "3.2 闪退是已知问题吗？" in listing
    page = member.get(reverse("followups:mention", args=[mention.pk])).content.decode()
    assert "APP一升级就闪退" in page and not _clean(page)
    answered = member.post(
        reverse("followups:answer", args=[mention.pk]), {"body": "已知问题，3.2.1 修复，请客户升级"}
    )
    assert answered.status_code == 302
    note = Message.objects.filter(
        conversation=hot_case, direction=Direction.NOTE, author=department_member
    ).get()
    assert note.body == "已知问题，3.2.1 修复，请客户升级"
    told = Notice.objects.get(recipient=agent, kind=NoticeKind.ANSWERED)
    assert told.draft == note.body and told.conversation_id == hot_case.pk


def test_naming_a_department_member_in_any_desk_note_asks_them(agent, department_member, product, hot_case):
    add_note(hot_case, agent, "@产品经理王工 请看下这个闪退，客户手机13812345678")
    mention = CaseMention.objects.get(member=department_member)
    assert "13812345678" not in mention.question
    assert Notice.objects.filter(recipient=department_member, kind=NoticeKind.MENTION).exists()


def test_a_department_member_cannot_read_someone_elses_question(
    client_for, agent, finance_member, department_member, hot_case
):
    mention = services.mention_department_member(
        hot_case, author=agent, member=department_member, body="请看"
    )
    client = client_for(finance_member)
    assert client.get(reverse("followups:mention", args=[mention.pk])).status_code == 404
    assert client.post(reverse("followups:answer", args=[mention.pk]), {"body": "x"}).status_code == 404


VARIANTS = [
    "13812345678",
    "138 1234 5678",
    "138-1234-5678",
    "+86 138 1234 5678",
    "110101199003074514",
    "110101 19900307 4514",
    "110101199003074515",  # wrong check digit
    "6222021234567890128",
    "6222 0212 3456 7890 128",
    "li.si@example.cn",
]


def _leaks(text: str) -> list[str]:
    found = [s for s in (*VARIANTS, "王小明") if s in text]
    runs = set(re.findall(r"\d[\d .\-]{9,}\d", text))
    digits = [re.sub(r"\D", "", s) for s in VARIANTS if "@" not in s]
    found += [
        r for r in runs if len(re.sub(r"\D", "", r)) >= 11 and any(d in re.sub(r"\D", "", r) for d in digits)
    ]
    return found


def test_no_follow_up_page_or_export_shows_personal_data_to_a_department(
    client_for, department_member, agent, supervisor, product, hot_case
):
    secrets = "，".join(VARIANTS)
    MessageFactory(conversation=hot_case, body=f"王小明再说一次：{secrets}")
    opened = services.open_followup(
        title="王小明的闪退 13812345678",
        department=product,
        opened_by=supervisor,
        description=f"客户王小明留下了：{secrets}",
        conversations=[hot_case],
    )
    services.comment(opened, actor=agent, body=f"客户王小明又来电了：{secrets}")
    services.comment(opened, actor=department_member, body=f"收到，王小明 {secrets}")
    services.change_status(
        opened, Status.DONE, actor=department_member, note=f"已联系王小明（{secrets}）说明"
    )
    mention = services.mention_department_member(
        hot_case, author=agent, member=department_member, body=f"王小明 {secrets} 的问题怎么回？"
    )
    services.answer_mention(mention, member=department_member, body="按新版本说明回复即可")
    client = client_for(department_member)
    urls = [
        reverse("followups:queue") + "?status=all",
        reverse("followups:queue") + "?status=done",
        reverse("followups:detail", args=[opened.pk]),
        reverse("followups:export") + "?status=all",
        reverse("followups:mentions"),
        reverse("followups:mention", args=[mention.pk]),
        reverse("followups:notices"),
    ]
    leaks = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        found = _leaks(response.content.decode("utf-8-sig"))
        if found:
            leaks[url] = found
    assert not leaks
    assert "闪退" in client.get(reverse("followups:detail", args=[opened.pk])).content.decode()


def test_the_menu_shows_follow_ups_with_unread_notices_to_those_who_use_them(
    client_for, department_member, customer_user, supervisor, product
):
    services.open_followup(title="新事项", department=product, opened_by=supervisor)
    page = client_for(department_member).get(reverse("followups:mentions")).content.decode()
    assert f'href="{reverse("followups:queue")}"' in page and "(1)" in page
    portal = client_for(customer_user).get(reverse("portal:home")).content.decode()
    assert reverse("followups:queue") not in portal


def test_an_escalated_follow_up_says_so_on_its_page(client_for, department_member, opened):
    services.escalate_overdue()
    page = client_for(department_member).get(reverse("followups:detail", args=[opened.pk])).content.decode()
    assert 'data-testid="fu-escalated"' in page and 'data-testid="fu-overdue-badge"' in page
