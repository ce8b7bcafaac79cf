"""Customer tiers by rule, import and hand; the inbox's SLA column and sort; dashboards and CSV reports."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from dabai.accounts.models import AuditEntry
from dabai.conversations.services import receive_message
from dabai.core.choices import Channel
from dabai.customers.models import Tier
from dabai.routing import selectors, services
from dabai.routing.models import AgentRouting, AgentState, CalendarDay, CustomerValue, TierSource
from dabai.testing import CustomerFactory

pytestmark = pytest.mark.django_db


def test_big_spender_of_many_years_becomes_premium_by_rule():
    loyal, new = CustomerFactory(), CustomerFactory()
    CustomerValue.objects.create(
        customer=loyal, annual_spend=Decimal("5000"), customer_since=date(2019, 1, 1)
    )
    CustomerValue.objects.create(customer=new, annual_spend=Decimal("1200"), customer_since=date(2026, 6, 1))
    assert services.apply_tier_rules(date(2026, 11, 25)) == 2
    loyal.refresh_from_db()
    new.refresh_from_db()
    assert (loyal.tier, new.tier) == (Tier.PREMIUM, Tier.VIP)


def test_hand_set_tier_survives_the_rules(supervisor):
    customer = CustomerFactory()
    services.set_customer_tier(customer, Tier.VIP, actor=supervisor)
    services.apply_tier_rules()
    customer.refresh_from_db()
    assert customer.tier == Tier.VIP
    assert CustomerValue.objects.get(customer=customer).tier_source == TierSource.MANUAL
    assert AuditEntry.objects.filter(action="routing.customer_tier").exists()


def test_tier_import_reports_bad_rows_by_line_and_keeps_good_ones(supervisor):
    a, b = CustomerFactory(), CustomerFactory()
    text = f"customer_id,tier,annual_spend\n{a.pk},全球通,8000\n999999,vip,\n{b.pk},gold,\n{b.pk},VIP,abc\n"
    result = services.import_tiers(text, actor=supervisor)
    assert result.updated == 1
    assert [line for line, _ in result.errors] == [3, 4, 5]
    a.refresh_from_db()
    assert a.tier == Tier.PREMIUM


def test_inbox_shows_time_left_and_sorts_by_it(client_for, supervisor):
    customer = CustomerFactory()
    late = receive_message(
        channel=Channel.CHAT, customer=customer, body="在吗", sent_at=timezone.now() - timedelta(minutes=5)
    ).message.conversation
    relaxed = receive_message(
        channel=Channel.WEIBO, customer=CustomerFactory(), body="你好"
    ).message.conversation
    soon = receive_message(
        channel=Channel.WECHAT, customer=CustomerFactory(), body="你好"
    ).message.conversation
    services.sweep_slas()
    html = client_for(supervisor).get("/inbox/?status=active&sort=sla").content.decode()
    order = [html.index(f'data-conversation="{c.pk}"') for c in (late, soon, relaxed)]
    assert order == sorted(order)
    assert 'data-testid="sla-breached"' in html
    assert 'data-testid="sla-running"' in html


def test_agent_pauses_themself_from_the_inbox(client_for, agent):
    AgentRouting.objects.create(user=agent)
    client = client_for(agent)
    assert b'data-testid="my-state"' in client.get("/inbox/").content
    client.post(f"/routing/agents/{agent.pk}/state/", {"state": AgentState.TRAINING, "next": "/inbox/"})
    assert AgentRouting.objects.get(user=agent).state == AgentState.TRAINING


def test_agent_may_not_change_a_colleagues_state(client_for, agent, other_agent):
    AgentRouting.objects.create(user=other_agent)
    response = client_for(agent).post(f"/routing/agents/{other_agent.pk}/state/", {"state": "offline"})
    assert response.status_code == 403
    assert AgentRouting.objects.get(user=other_agent).state == AgentState.AVAILABLE


def test_dashboard_and_reports_are_for_supervisors(client_for, agent, supervisor):
    for url in ["/routing/", "/routing/reports/", "/routing/reports/breaches.csv"]:
        assert client_for(agent).get(url).status_code == 403
        assert client_for(supervisor).get(url).status_code == 200


def test_attainment_report_exports_csv(client_for, supervisor, agent, django_capture_on_commit_callbacks):
    from dabai.conversations.services import post_reply

    conversation = receive_message(
        channel=Channel.WECHAT, customer=CustomerFactory(), body="你好"
    ).message.conversation
    with django_capture_on_commit_callbacks(execute=True):
        post_reply(conversation, agent, "您好")
    response = client_for(supervisor).get("/routing/reports/attainment.csv?group=channel")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "day,channel,met,total,rate_percent"
    with translation.override("zh-hans"):
        wechat = str(Channel.WECHAT.label)
    assert wechat != "wechat" and lines[1].endswith(f"{wechat},1,1,100.0")  # the channel by name, not code
    assert AuditEntry.objects.filter(action="routing.report_export").exists()


def test_admins_are_warned_before_an_unannounced_year_starts():
    assert selectors.calendar_warnings(date(2026, 6, 1)) == []
    warnings = selectors.calendar_warnings(date(2026, 11, 25))
    assert [(w.year, w.starts_in_days) for w in warnings] == [(2027, 37)]
    CalendarDay.objects.create(date=date(2027, 1, 1), is_workday=False, name="元旦")
    assert selectors.calendar_warnings(date(2026, 11, 25)) == []


def test_supervisor_sees_the_calendar_warning_in_the_inbox(client_for, supervisor, agent):
    expected = bool(selectors.calendar_warnings())
    assert (b'data-testid="calendar-warning"' in client_for(supervisor).get("/inbox/").content) == expected
    assert b'data-testid="calendar-warning"' not in client_for(agent).get("/inbox/").content


def test_supervisor_imports_tiers_from_a_csv_file(client_for, supervisor):
    from django.core.files.uploadedfile import SimpleUploadedFile

    customer = CustomerFactory()
    upload = SimpleUploadedFile("tiers.csv", f"customer_id,tier\n{customer.pk},VIP\nx,vip\n".encode())
    html = client_for(supervisor).post("/routing/tiers/", {"file": upload}).content.decode()
    customer.refresh_from_db()
    assert customer.tier == Tier.VIP
    assert 'data-testid="import-result"' in html
    assert 'data-line="3"' in html  # the bad row comes back with its line number


def test_state_form_never_redirects_off_site(client_for, agent):
    AgentRouting.objects.create(user=agent)
    response = client_for(agent).post(
        f"/routing/agents/{agent.pk}/state/", {"state": "break", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/inbox/"
