"""Closing the loop in the demo centre: an agent asks the product department about a case, a supervisor opens
a follow-up from that case for 产品部, the product manager finds it in the department's queue, replies,
answers the agent's question and marks it done with a resolution; the agent is told, with a message ready
for the customer."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

RESOLUTION = "3.2.1 版本已修复升级后闪退，请客户在应用商店更新"


def test_supervisor_opens_a_follow_up_the_department_closes_it_and_the_agent_is_told(
    live_server_url, new_context, login, screenshot
):
    agent = new_context().new_page()
    login(agent, "xiaoli", "dabai-agent")
    agent.goto(f"{live_server_url}/voc/followups/?status=all")
    agent.get_by_test_id("fu-queue").locator("tbody a").first.click()
    case_link = agent.get_by_test_id("fu-cases").locator("a").first.get_attribute("href")
    conversation = int(re.search(r"/inbox/(\d+)/", case_link).group(1))

    agent.goto(f"{live_server_url}/voc/followups/cases/{conversation}/ask/")
    agent.get_by_test_id("fu-ask-form").locator("select[name=member]").select_option(label="产品经理王工")
    agent.get_by_test_id("fu-ask-form").locator("textarea[name=body]").fill(
        "客户说升级后一直闪退，是已知问题吗？"
    )
    agent.get_by_test_id("fu-ask-form").locator("button[type=submit]").click()
    agent.wait_for_url(re.compile(rf"/inbox/{conversation}/"))

    supervisor = new_context().new_page()
    login(supervisor, "banzhang", "dabai-supervisor")
    supervisor.goto(f"{live_server_url}/voc/followups/new/?conversation={conversation}")
    form = supervisor.get_by_test_id("fu-open-form")
    expect(form.locator("input[name=conversations]")).to_have_value(str(conversation))
    form.locator("input[name=title]").fill("升级后闪退（浏览器测试）")
    form.locator("select[name=department]").select_option(label="产品部")
    form.locator("textarea[name=description]").fill("客户反映升级到 3.2 后打开就闪退。")
    screenshot(supervisor, "followup-open")
    supervisor.get_by_test_id("fu-open-submit").click()
    expect(supervisor.get_by_test_id("fu-title")).to_contain_text("升级后闪退（浏览器测试）")

    product = new_context().new_page()
    login(product, "chanpin", "dabai-department")
    product.goto(f"{live_server_url}/voc/followups/")
    row = product.get_by_test_id("fu-queue").get_by_role("link", name="升级后闪退（浏览器测试）")
    expect(row).to_be_visible()
    screenshot(product, "followup-queue")
    row.click()
    expect(product.get_by_test_id("fu-cases")).to_contain_text(f"#{conversation}")
    product.get_by_test_id("fu-comment").fill("已复现，正在修复")
    product.get_by_test_id("fu-comment-submit").click()
    expect(product.get_by_test_id("fu-log")).to_contain_text("已复现，正在修复")

    product.get_by_test_id("fu-status-select").select_option("done")
    product.get_by_test_id("fu-note").fill(RESOLUTION)
    product.get_by_test_id("fu-status-submit").click()
    expect(product.get_by_test_id("fu-status")).to_have_text("已完成")
    expect(product.get_by_test_id("fu-resolution")).to_contain_text(RESOLUTION)
    screenshot(product, "followup-done")

    product.goto(f"{live_server_url}/voc/followups/mentions/")
    product.get_by_test_id("fu-mentions-open").get_by_role("link", name=f"#{conversation}").first.click()
    expect(product.get_by_test_id("fu-thread")).to_be_visible()
    product.get_by_test_id("fu-answer-form").locator("textarea").fill("是已知问题，3.2.1 已修复。")
    product.get_by_test_id("fu-answer-submit").click()
    expect(product.get_by_test_id("fu-answered")).to_be_visible()

    agent.goto(f"{live_server_url}/voc/followups/notices/")
    done = agent.get_by_test_id("fu-notice").filter(has_text=RESOLUTION).first
    expect(done).to_be_visible()
    expect(done.get_by_test_id("fu-draft")).to_have_value(re.compile(re.escape(RESOLUTION)))
    expect(agent.get_by_test_id("fu-notices")).to_contain_text("是已知问题，3.2.1 已修复。")
    screenshot(agent, "followup-agent-notice")
    done.get_by_test_id("fu-notice-open").click()
    agent.wait_for_url(re.compile(rf"/inbox/{conversation}/"))
