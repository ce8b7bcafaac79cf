"""The voice-of-the-customer portal in the demo centre: a product manager searches, narrows by a facet,
sees the weekly trend drawn by the vendored ECharts under the strict CSP, opens a masked case with the
filter's badges, shares it, saves the search and exports the filtered set."""

import csv
import io
import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
DRILLED = re.compile(r"/voc/cases/\?.*topic=\d+.*since=.*until=")


def test_department_member_searches_filters_opens_shares_and_exports(
    live_server_url, new_context, login, screenshot
):
    context = new_context(accept_downloads=True)
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    login(page, "chanpin", "dabai-department")
    page.goto(f"{live_server_url}/voc/cases/")
    total = int(re.sub(r"\D", "", page.get_by_test_id("voc-total").inner_text()))
    assert total > 0

    page.get_by_test_id("voc-q").fill("退款")
    page.get_by_test_id("voc-search").locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"q=%E9%80%80%E6%AC%BE"))
    found = int(re.sub(r"\D", "", page.get_by_test_id("voc-total").inner_text()))
    assert 0 < found < total
    expect(page.get_by_test_id("cases").locator("mark").first).to_be_visible()
    expect(page.locator("[data-chart=weekly][data-ready='1'] canvas")).to_be_visible()

    channel = page.get_by_test_id("voc-facets").locator("[data-facet=channel] a.facet").first
    expected = int(channel.locator(".count").inner_text())
    channel.click()
    expect(page.get_by_test_id("voc-total")).to_contain_text(str(expected))
    screenshot(page, "voc-library")

    page.get_by_test_id("save-search").locator("input[name=name]").fill("退款·渠道")
    page.get_by_test_id("save-search").locator("button").click()
    expect(page.get_by_test_id("saved-searches")).to_contain_text("退款·渠道")

    with page.expect_download() as download:
        page.get_by_test_id("voc-export").click()
    exported = download.value.path().read_text(encoding="utf-8-sig")
    assert len(list(csv.reader(io.StringIO(exported)))) - 1 == expected  # one row per conversation

    page.get_by_test_id("cases").locator("tbody tr a").first.click()
    expect(page.get_by_test_id("case-thread")).to_be_visible()
    expect(page.get_by_test_id("insight").first).to_be_visible()
    page.get_by_test_id("share-button").click()
    link = page.get_by_test_id("share-link").input_value()
    assert "/voc/s/" in link
    screenshot(page, "voc-case")

    page.goto(f"{live_server_url}/voc/")
    expect(page.locator("[data-chart=topics][data-ready='1'] canvas")).to_be_visible()
    screenshot(page, "voc-front")
    assert not violations, violations


def test_department_member_charts_drills_down_and_follows_a_topic(
    live_server_url, new_context, login, screenshot
):
    """The product manager sees the emerging App-crash issue on the front page, opens the dashboards, clicks
    a point of the topic chart to land on exactly those cases, narrows them by a facet, and follows the
    topic for the product department."""
    page = new_context().new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    login(page, "chanpin", "dabai-department")
    page.goto(f"{live_server_url}/voc/")
    expect(page.get_by_test_id("emerging-issue").first).to_contain_text("闪退")
    expect(page.get_by_test_id("news-item").first).to_be_visible()
    expect(page.locator("[data-chart=topics][data-ready='1'] canvas")).to_be_visible()

    page.get_by_test_id("nav-dashboards").click()
    chart = page.locator("[data-chart=topics]")
    expect(page.locator("[data-chart=topics][data-ready='1'] canvas")).to_be_visible()
    for name in ("sentiment", "net_sentiment", "escalations", "channels", "products"):
        expect(page.locator(f"[data-chart={name}][data-ready='1'] canvas")).to_be_visible()
    screenshot(page, "voc-dashboards")
    # the busiest topic's point in its busiest week, clicked where ECharts drew it (again while the chart
    # is still animating into place on a busy machine)
    for _ in range(10):
        x, y = page.evaluate(
            """(el) => {
              const chart = echarts.getInstanceByDom(el);
              const series = chart.getOption().series[0];
              const week = series.data.indexOf(Math.max(...series.data));
              return chart.convertToPixel({seriesIndex: 0}, [week, series.data[week]]);
            }""",
            chart.element_handle(),
        )
        box = chart.bounding_box()
        page.mouse.click(box["x"] + x, box["y"] + y)
        try:
            page.wait_for_url(DRILLED, timeout=1500)
            break
        except PlaywrightTimeout:
            continue
    expect(page).to_have_url(DRILLED)
    drilled = int(re.sub(r"\D", "", page.get_by_test_id("voc-total").inner_text()))
    assert drilled > 0
    topic_facet = page.get_by_test_id("voc-facets").locator("[data-facet=topic] a.facet.selected")
    expect(topic_facet).to_have_count(1)
    channel = page.get_by_test_id("voc-facets").locator("[data-facet=channel] a.facet").first
    expected = int(channel.locator(".count").inner_text())
    channel.click()
    expect(page.get_by_test_id("voc-total")).to_contain_text(str(expected))
    screenshot(page, "voc-drilled")

    page.get_by_test_id("nav-topics").click()
    row = page.get_by_test_id("topic-row").filter(has_text="闪退").first
    row.locator("a").first.click()
    expect(page.get_by_test_id("topic-name")).to_contain_text("闪退")
    page.get_by_test_id("follow").click()
    expect(page.get_by_test_id("unfollow")).to_be_visible()
    page.goto(f"{live_server_url}/voc/")
    expect(page.get_by_test_id("followed-topics")).to_contain_text("闪退")
    screenshot(page, "voc-followed")
    assert not violations, violations
