"""Routing in the demo centre: the inbox shows SLA time left sorted by urgency; agents pause themselves."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from dabai.routing.calendar import library_knows

pytestmark = pytest.mark.browser


def test_supervisor_sorts_the_inbox_by_time_left_and_sees_why_work_was_routed(
    live_server_url, new_context, login, screenshot
):
    page = new_context().new_page()
    login(page, "banzhang", "dabai-supervisor")
    page.get_by_test_id("status").select_option("active")
    page.get_by_test_id("sort").select_option("sla")
    expect(page).to_have_url(re.compile(r"sort=sla"))
    rows = page.locator("[data-testid=inbox-list] tbody tr[data-conversation]")
    expect(rows.first.get_by_test_id("sla-breached")).to_be_visible()
    expect(page.get_by_test_id("inbox-list")).to_contain_text("剩余时间")
    cells = [c.get_attribute("data-testid") for c in rows.locator("[data-testid=sla] > *").all()]
    ranks = {"sla-breached": 0, "sla-warning": 1, "sla-running": 2}
    shown = [ranks[c] for c in cells if c in ranks]
    assert shown == sorted(shown), "breached first, then due soon, then the rest"
    screenshot(page, "inbox-by-sla")

    page.get_by_test_id("routing-dashboard").click()
    expect(page.get_by_test_id("routing-decisions").locator("li").first).to_contain_text("→")
    expect(page.get_by_test_id("agent-seats")).to_contain_text("专家席")
    today = date.today()
    unannounced = not library_knows(today.year + 1) and (date(today.year + 1, 1, 1) - today).days <= 90
    if unannounced:
        expect(page.get_by_test_id("calendar-warning")).to_contain_text(str(today.year + 1))
    screenshot(page, "routing-dashboard")


def test_agent_takes_a_break_from_the_inbox(live_server_url, new_context, login, screenshot):
    page = new_context().new_page()
    login(page, "agent5", "dabai-agent-5")
    state = page.get_by_test_id("my-state")
    state.select_option("break")
    page.get_by_test_id("agent-state").locator("button").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("my-state")).to_have_value("break")
    screenshot(page, "on-break")
    page.get_by_test_id("my-state").select_option("available")
    page.get_by_test_id("agent-state").locator("button").click()
    expect(page.get_by_test_id("my-state")).to_have_value("available")
