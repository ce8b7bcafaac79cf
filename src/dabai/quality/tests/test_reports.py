"""The supervisors' reports (issue 16): SLA attainment and outcomes in words people read, every figure
drilling down to exactly the conversations behind it, CSV equal to the page, the wall display for the floor,
permissions per role, and a query count that does not grow with the data."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from dabai.accounts.models import AuditEntry
from dabai.conversations.models import Status
from dabai.conversations.services import assign, change_status, post_reply, read_messages, receive_message
from dabai.core.choices import Channel
from dabai.quality import services
from dabai.replies.labels import INTENT
from dabai.routing.models import AgentRouting, AgentState, ClockKind, RoutingDecision, SlaClock
from dabai.testing import CustomerFactory


def answered(customer, channel, agent, *, waited_minutes: float, resolve: bool = True):
    """A customer writes ``waited_minutes`` ago and the agent answers now (and resolves), through the real
    services: routing's receivers start and stop the SLA clocks."""
    received = receive_message(
        customer=customer,
        channel=channel,
        body="我的快递三天了还没到",
        sent_at=timezone.now() - timedelta(minutes=waited_minutes),
    )
    read_messages([received.message])
    conversation = received.message.conversation
    assign(conversation, agent, actor=agent)
    post_reply(conversation, agent, "好的，已经为您处理。")
    if resolve:
        change_status(conversation, Status.RESOLVED, actor=agent)
    return conversation


@pytest.fixture
def floor(db, agent, other_agent, django_capture_on_commit_callbacks):
    """Chat promises an answer within 1 minute, WeChat within 5: two chats answered late, one in time, and
    one WeChat answered in time; one customer is named by a phone number."""
    with django_capture_on_commit_callbacks(execute=True):
        late = [
            answered(CustomerFactory(display_name="13812345678"), Channel.CHAT, agent, waited_minutes=9),
            answered(CustomerFactory(display_name="王女士"), Channel.CHAT, other_agent, waited_minutes=4),
        ]
        on_time = [
            answered(CustomerFactory(display_name="李先生"), Channel.CHAT, agent, waited_minutes=0.2),
            answered(CustomerFactory(display_name="赵先生"), Channel.WECHAT, other_agent, waited_minutes=2),
        ]
    return {"late": late, "on_time": on_time}


def named(channel: str) -> str:
    """A channel's name as the pages show it (zh-hans): 在线客服, 微信 — never its code."""
    with translation.override("zh-hans"):
        return str(Channel(channel).label)


def ids_listed(client, url: str) -> set[int]:
    page = client.get(url.replace("&amp;", "&"))
    assert page.status_code == 200, url
    return {int(pk) for pk in re.findall(r'data-conversation="(\d+)"', page.content.decode())}


def test_sla_report_reads_in_words_and_percent(floor, supervisor, client_for):
    page = client_for(supervisor).get("/routing/reports/", {"group": "channel"})

    html = page.content.decode()
    table = html[
        html.index('data-testid="attainment"') : html.index(
            "</table>", html.index('data-testid="attainment"')
        )
    ]
    chat, wechat = named(Channel.CHAT), named(Channel.WECHAT)
    assert chat in table and wechat in table and chat != Channel.CHAT.value  # a name, not the code
    assert ">chat<" not in table and ">wechat<" not in table and "0.0" not in table
    rows = {row.label: row for row, _drill in page.context["rows"]}
    assert (rows[chat].total, rows[chat].breached, rows[chat].rate) == (3, 2, 33.3)
    assert (rows[wechat].total, rows[wechat].rate) == (1, 100.0)
    assert "33.3%" in table and "100%" in table
    assert page.context["overall"].total == 4  # unique conversations, not clocks


def test_breaches_show_customer_masked_channel_agent_and_reason_in_words(floor, supervisor, client_for):
    breaches = client_for(supervisor).get("/routing/reports/").content.decode()
    section = breaches[breaches.index('data-testid="breaches"') :]
    assert "138****5678" in section and "13812345678" not in section
    assert "首次响应" in section and "1分钟" in section
    assert named(Channel.CHAT) in section and "王**" in section and "王女士" not in section


def test_every_sla_figure_lists_exactly_its_conversations(floor, supervisor, client_for):
    client = client_for(supervisor)
    page = client.get("/routing/reports/", {"group": "channel"})
    chat = next(drill for row, drill in page.context["rows"] if row.key == Channel.CHAT)

    assert ids_listed(client, chat) == {c.pk for c in floor["late"]} | {floor["on_time"][0].pk}
    assert ids_listed(client, chat + "&state=breached") == {c.pk for c in floor["late"]}
    assert ids_listed(client, page.context["overall_drill"]) == {
        c.pk for c in floor["late"] + floor["on_time"]
    }
    chart = page.context["chart"]
    chat_line = next(s for s in chart["series"] if s["name"] == named(Channel.CHAT))
    assert chat_line["data"] == [33.3]
    assert ids_listed(client, chat_line["drill"][0]) == ids_listed(client, chat)
    assert AuditEntry.objects.filter(action="quality.report_drill").exists()


def test_sla_by_agent_and_tier_and_promise(floor, supervisor, agent, client_for):
    client = client_for(supervisor)
    by_agent = {
        row.key: row for row, _ in client.get("/routing/reports/", {"group": "agent"}).context["rows"]
    }
    assert by_agent[agent.pk].label == str(agent) and (by_agent[agent.pk].total, by_agent[agent.pk].met) == (
        2,
        1,
    )
    by_tier = client.get("/routing/reports/", {"group": "tier", "kind": ClockKind.RESOLUTION}).context["rows"]
    assert [row.label for row, _ in by_tier] == ["普通"] and by_tier[0][0].breached == 0


def test_sla_csv_matches_the_page_and_is_audited(floor, supervisor, client_for):
    client = client_for(supervisor)
    page = client.get("/routing/reports/", {"group": "channel"}).context
    rows = list(
        csv.reader(
            io.StringIO(client.get("/routing/reports/sla.csv?group=channel").content.decode("utf-8-sig"))
        )
    )
    expected = [[r.label, str(r.met), str(r.breached), str(r.total), str(r.rate)] for r, _ in page["rows"]]
    overall = page["overall"]
    assert rows[1:] == [
        *expected,
        [overall.label, str(overall.met), str(overall.breached), str(overall.total), str(overall.rate)],
    ]
    breaches = list(
        csv.reader(io.StringIO(client.get("/routing/reports/breaches.csv").content.decode("utf-8-sig")))
    )
    assert len(breaches) - 1 == len(client.get("/routing/reports/").context["breaches"])
    assert "138****5678" in str(breaches) and "13812345678" not in str(breaches)
    assert "王**" in str(breaches) and "王女士" not in str(breaches)
    assert AuditEntry.objects.filter(action="routing.report_export").count() == 2


def test_routing_decisions_are_explained_without_codes(floor, supervisor, agent, client_for):
    RoutingDecision.objects.create(
        conversation=floor["late"][0],
        agent=agent,
        rule="skill",
        reason="skills matched: refund_return, chat, zh",
        at=timezone.now(),
    )
    html = client_for(supervisor).get("/routing/reports/").content.decode()
    section = html[html.index('data-testid="decisions"') :]
    with translation.override("zh-hans"):
        refund = str(INTENT["refund_return"])
    assert refund in section and named(Channel.CHAT) in section and "refund_return" not in section
    assert str(agent) in section


def test_outcome_figures_drill_down_to_their_conversations(floor, supervisor, client_for):
    client = client_for(supervisor)
    services.recompute_outcomes([c.pk for c in floor["late"] + floor["on_time"]])
    page = client.get("/quality/", {"group": "channel"})
    html = page.content.decode()
    link = re.search(r'href="([^"]+metric=all)" data-testid="drill-all">3<', html)
    assert link, "the conversation count of chat links to its conversations"
    assert ids_listed(client, link.group(1)) == {c.pk for c in floor["late"]} | {floor["on_time"][0].pk}
    assert page.context["chart"]["series"][0]["data"] == [100.0]
    assert 'data-testid="outcome-chart"' in html


def test_wall_display_shows_the_floor_and_refreshes_itself(floor, supervisor, agent, other_agent, client_for):
    AgentRouting.objects.create(user=agent, state=AgentState.AVAILABLE)
    AgentRouting.objects.create(user=other_agent, state=AgentState.BREAK)
    waiting = receive_message(
        customer=CustomerFactory(), channel=Channel.WEIBO, body="@大白客服 还没人管？", is_public=True
    )
    SlaClock.objects.filter(conversation=waiting.message.conversation, kind=ClockKind.FIRST_RESPONSE).update(
        started_at=timezone.now() - timedelta(minutes=12)
    )
    client = client_for(supervisor)
    page = client.get("/quality/wall/")
    html = page.content.decode()
    wall = page.context["wall"]
    assert (wall.waiting, wall.weibo_public_waiting, wall.agents_available, wall.agents_working) == (
        1,
        1,
        1,
        2,
    )
    assert 'hx-trigger="every 30s"' in html and 'hx-get="/quality/wall/figures/"' in html
    assert "12分钟" in html and "<script>" not in html
    assert "50%" in html  # today: 2 of 4 conversations met
    assert wall.sla_today_overall.rate == 50.0
    assert client.get("/quality/wall/figures/").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/routing/reports/",
        "/quality/",
        "/quality/wall/",
        "/quality/wall/figures/",
        "/routing/reports/sla.csv",
        "/quality/conversations/?source=sla&days=7",
    ],
)
def test_reports_are_for_supervisors_and_admins_only(
    floor, url, supervisor, admin_user, agent, department_member, customer_user, client_for
):
    assert client_for(supervisor).get(url).status_code == 200
    assert client_for(admin_user).get(url).status_code == 200
    for someone in (agent, department_member, customer_user):
        assert client_for(someone).get(url).status_code in {302, 403}
    assert client_for(agent).get("/quality/mine/").status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "source=nope",
        "source=sla&group=evil",
        "source=sla&day=2026-13-01",
        "source=sla&group=team&key=abc",
        "source=outcome&start=2026-02-01&end=2026-01-01",
        "source=sla&state=late",
        "source=sla&days=%C2%B2",
        "source=outcome&start=2026-01-01&end=2026-01-02&metric=evil",
        "source=sla&group=channel&key=fax",
    ],
)
def test_a_malformed_drill_down_is_a_400(supervisor, client_for, query):
    assert client_for(supervisor).get(f"/quality/conversations/?{query}").status_code == 400


def _more(agent, n: int, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(n):
            answered(
                CustomerFactory(),
                [Channel.CHAT, Channel.EMAIL, Channel.WECHAT][i % 3],
                agent,
                waited_minutes=i % 4,
            )


@pytest.mark.parametrize(
    "url",
    [
        "/routing/reports/?group=agent",
        "/quality/?group=agent",
        "/quality/wall/figures/",
        "/routing/reports/sla.csv?group=team",
    ],
)
def test_report_queries_do_not_grow_with_the_data(
    url,
    supervisor,
    agent,
    other_agent,
    client_for,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
):
    client = client_for(supervisor)
    _more(agent, 3, django_capture_on_commit_callbacks)
    client.get(url)
    with django_assert_max_num_queries(25) as small:
        assert client.get(url).status_code == 200
    _more(other_agent, 12, django_capture_on_commit_callbacks)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200
