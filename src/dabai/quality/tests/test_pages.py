"""The pages: supervisors read the outcome report in plain Chinese; agents see their own; others nothing."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from dabai.accounts.models import AuditEntry
from dabai.conversations.models import Status
from dabai.conversations.services import assign, change_status, post_reply, read_messages, receive_message
from dabai.core.choices import Channel
from dabai.quality import services
from dabai.testing import CustomerFactory


def handled(customer, channel, body, agent, *, at=None):
    received = receive_message(customer=customer, channel=channel, body=body, sent_at=at)
    read_messages([received.message])
    conversation = received.message.conversation
    assign(conversation, agent, actor=agent)
    post_reply(conversation, agent, "好的，已经为您处理。")
    change_status(conversation, Status.RESOLVED, actor=agent)
    return conversation


@pytest.fixture
def centre(db, agent, other_agent):
    """Three resolved conversations: one the customer had to chase by phone, one rated by survey."""
    wang, li = CustomerFactory(display_name="王女士"), CustomerFactory(display_name="李先生")
    chased = handled(wang, Channel.WECHAT, "我的快递三天了还没到，物流一直不更新", agent)
    later = timezone.now() + timedelta(days=3)
    received = receive_message(
        customer=wang, channel=Channel.PHONE, body="上周问的快递还是没到", sent_at=later
    )
    read_messages([received.message])
    rated = handled(li, Channel.EMAIL, "我要退货退款", other_agent)
    survey = services.send_survey(rated)
    services.answer_survey(survey, rating=4, effort=5, comment="处理很快，我的电话是13812345678")
    return {"chased": chased, "rated": rated}


def test_supervisor_reads_outcomes_by_channel_with_chinese_labels_and_counts(centre, supervisor, client_for):
    page = client_for(supervisor).get("/quality/", {"group": "channel"})

    assert page.status_code == 200
    html = page.content.decode()
    assert "服务结果质量报表" in html and "首次解决率" in html
    assert "微信" in html and "邮件" in html
    shown = re.sub(r'href="[^"]*"', "", html)  # the drill-down links carry the code in their query
    assert "wechat" not in shown.replace('value="wechat"', "")
    rows = {f.label: f for f in page.context["rows"]}
    assert rows["微信"].fcr_rate == 0 and rows["微信"].total == 1
    assert rows["邮件"].fcr_rate == 100 and rows["邮件"].csat_avg == 4
    assert "0%" in html and "100%" in html and "4.0 / 5" in html
    assert "<th>渠道</th>" in html  # the first column is named after the grouping
    assert "138****5678" in html and "13812345678" not in html  # comments leave the desk masked


def test_report_groups_by_agent_and_team_and_topic(centre, supervisor, agent, client_for):
    client = client_for(supervisor)
    by_agent = {f.label: f for f in client.get("/quality/", {"group": "agent"}).context["rows"]}
    assert by_agent[str(agent)].fcr_rate == 0
    by_topic = client.get("/quality/", {"group": "intent"}).content.decode()
    assert "物流" in by_topic or "快递" in by_topic or "配送" in by_topic


def test_only_supervisors_and_admins_read_reports(
    centre, agent, department_member, customer_user, admin_user, client_for, client
):
    assert client_for(admin_user).get("/quality/").status_code == 200
    for user in (agent, department_member, customer_user):
        assert client_for(user).get("/quality/").status_code == 403
        assert client_for(user).get("/quality/report.csv").status_code == 403
    assert client.get("/quality/").status_code == 302  # to the sign-in page


def test_agents_see_their_own_outcomes_only(centre, agent, other_agent, department_member, client_for):
    page = client_for(agent).get("/quality/mine/")
    assert page.status_code == 200
    shown = [o.conversation_id for o in page.context["outcomes"]]
    assert shown == [centre["chased"].pk]
    assert "我的服务结果" in page.content.decode()

    theirs = client_for(other_agent).get("/quality/mine/").content.decode()
    assert "4★" in theirs and "13812345678" not in theirs
    assert client_for(department_member).get("/quality/mine/").status_code == 403


def test_csv_export_is_audited_and_formula_safe(centre, supervisor, client_for):
    response = client_for(supervisor).get("/quality/report.csv", {"group": "channel"})

    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "group" and {"微信", "邮件", "合计"} <= {r[0] for r in rows[1:]}
    assert AuditEntry.objects.filter(actor=supervisor, action="quality.report_export").exists()


def test_a_malformed_or_backwards_range_is_a_400(supervisor, client_for):
    client = client_for(supervisor)
    assert client.get("/quality/", {"start": "2025-13-01"}).status_code == 400
    assert client.get("/quality/", {"start": "2025-03-10", "end": "2025-03-01"}).status_code == 400
    assert client.get("/quality/", {"start": "2020-01-01", "end": "2025-01-01"}).status_code == 400
    assert client.get("/quality/", {"start": "2025-03-01", "end": "2025-03-10"}).status_code == 200


def test_the_menu_leads_supervisors_to_the_report_and_agents_to_their_own_page(
    supervisor, agent, department_member, client_for
):
    assert 'href="/quality/"' in client_for(supervisor).get("/quality/").content.decode()
    assert 'href="/quality/mine/"' in client_for(agent).get("/quality/mine/").content.decode()
    home = client_for(department_member).get("/voc/", follow=True).content.decode()
    assert "/quality/" not in home
