"""Quality by outcomes in the demo centre: resolving sends the customer a one-time survey link; their rating
and comment reach the supervisor's outcome report, in Chinese, with counts."""

import re
import time

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
LINK = re.compile(r"/quality/s/[^/\s]+/")


def test_resolution_survey_answer_reaches_the_supervisors_outcome_report(
    live_server_url, new_context, login, screenshot
):
    page = new_context().new_page()
    login(page, "banzhang", "dabai-supervisor")
    page.goto(f"{live_server_url}/inbox/?status=open&channel=email")
    page.locator("[data-testid=inbox-list] tbody tr[data-conversation] a").first.click()
    page.get_by_test_id("resolve").click()  # the desk's action at the top of the thread
    expect(page.get_by_test_id("conversation-status")).to_have_text("已解决")

    link = None
    for _ in range(40):  # the worker sends the survey through the channel's reply path
        match = LINK.search(page.get_by_test_id("thread").inner_text())
        if match:
            link = match.group(0)
            break
        time.sleep(0.5)
        page.reload()
    assert link, "the survey link appears in the thread as the conversation's last message"
    screenshot(page, "survey-sent")

    customer = new_context().new_page()
    customer.goto(f"{live_server_url}{link}")
    expect(customer.locator("h1")).to_contain_text("请评价本次服务")
    customer.get_by_test_id("rating").get_by_label("2★").check()
    customer.get_by_test_id("effort").get_by_label("比较费劲").check()
    customer.fill("textarea[name=comment]", "回复太慢了，等了两天才有人理我")
    customer.get_by_test_id("survey-submit").click()
    expect(customer.get_by_test_id("survey-done")).to_contain_text("感谢")
    customer.goto(f"{live_server_url}{link}")
    expect(customer.get_by_test_id("survey-done")).to_contain_text("已填写")

    page.get_by_role("link", name="服务质量").click()
    page.get_by_test_id("range").locator("select[name=group]").select_option("channel")
    page.get_by_test_id("range").get_by_role("button", name="查看").click()
    report = page.get_by_test_id("quality-report")
    expect(report).to_contain_text("首次解决率")
    expect(report.locator("tbody")).to_contain_text("邮件")
    expect(page.get_by_test_id("quality-total")).to_contain_text("2.0 / 5")
    expect(page.get_by_test_id("survey-comments")).to_contain_text("回复太慢了")
    screenshot(page, "outcome-report")
