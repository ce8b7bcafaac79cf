"""The supervisors' reports in the demo centre (issue 16): the SLA and outcome charts draw under the CSP,
a chart point and a table figure open the conversations behind them, and the wall display shows the floor
in large figures and refreshes itself. Screenshots at 1440×900 go to artifacts/."""

import re

import pytest
from playwright.sync_api import expect

from .test_content_security_policy import watch

pytestmark = pytest.mark.browser
WIDE = {"width": 1440, "height": 900}


def test_supervisor_reads_the_reports_drills_down_and_opens_the_wall(
    live_server_url, new_context, login, screenshot
):
    page = new_context(viewport=WIDE).new_page()
    errors = watch(page)
    login(page, "banzhang", "dabai-supervisor")

    page.goto(f"{live_server_url}/routing/reports/")
    chart = page.get_by_test_id("sla-chart")
    expect(chart.locator("canvas")).to_have_count(1)
    expect(chart).to_have_attribute("data-ready", "1")
    table = page.get_by_test_id("attainment")
    expect(table).to_contain_text("%")
    codes = re.compile(r"^\s*(chat|wechat|weibo|sms|email|phone)\s*$")  # names, never channel codes
    expect(table.locator("th", has_text=codes)).to_have_count(0)
    expect(page.get_by_test_id("breaches")).to_contain_text("首次响应")
    screenshot(page, "sla-report")

    # A table figure: the breached conversations of the first channel.
    row = table.locator("[data-testid=attainment-row]").filter(has=page.get_by_test_id("breached-link")).first
    breached = int(row.get_by_test_id("breached-link").inner_text())
    row.get_by_test_id("breached-link").click()
    expect(page).to_have_url(re.compile(r"/quality/conversations/\?.*state=breached"))
    expect(page.get_by_test_id("drill-row")).to_have_count(min(breached, 500))
    screenshot(page, "drill-down")
    page.get_by_test_id("drill-row").first.locator("a").click()
    expect(page).to_have_url(re.compile(r"/inbox/\d+/$"))

    # A chart point: the last day's point of the first line opens that day's conversations.
    page.goto(f"{live_server_url}/routing/reports/?group=channel&days=30")
    chart = page.get_by_test_id("sla-chart")
    expect(chart).to_have_attribute("data-ready", "1")
    box = chart.bounding_box()
    assert box is not None
    # Where ECharts drew the latest point of the first line (its own pixel conversion), then a real click.
    x, y = chart.evaluate(
        """el => {
          const chart = echarts.getInstanceByDom(el);
          const data = chart.getOption().series[0].data;
          let i = data.length - 1;
          while (i > 0 && data[i] == null) { i -= 1; }
          return chart.convertToPixel({seriesIndex: 0}, [i, data[i]]);
        }"""
    )
    page.mouse.click(box["x"] + x, box["y"] + y)
    expect(page).to_have_url(re.compile(r"/quality/conversations/\?source=sla.*day=\d{4}-\d{2}-\d{2}"))
    expect(page.get_by_test_id("drill-summary")).to_be_visible()
    expect(page.get_by_test_id("drill-row").first).to_be_visible()

    page.goto(f"{live_server_url}/quality/")
    expect(page.get_by_test_id("outcome-chart").locator("canvas")).to_have_count(1)
    screenshot(page, "outcome-report")

    page.get_by_test_id("wall-link").click()
    wall = page.get_by_test_id("wall")
    expect(wall).to_have_attribute("hx-trigger", "every 30s")
    expect(page.get_by_test_id("wall-waiting")).to_contain_text(re.compile(r"\d"))
    expect(page.get_by_test_id("wall-sla")).to_contain_text("%")
    expect(page.get_by_test_id("wall-weibo")).to_be_visible()
    with page.expect_response(re.compile(r"/quality/wall/figures/$"), timeout=40_000) as refreshed:
        pass
    assert refreshed.value.ok
    expect(page.get_by_test_id("wall")).to_be_visible()
    screenshot(page, "wall-display")
    assert errors == []
