"""The agent's first minutes: sign in, filter the inbox, open a conversation, reply, switch language."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_agent_filters_inbox_opens_conversation_and_replies_without_reload(
    live_server_url, new_context, login, screenshot
):
    page = new_context().new_page()
    login(page, "xiaoli", "dabai-agent")
    expect(page).to_have_url(re.compile(r"/inbox/"))
    expect(page.get_by_test_id("inbox-list")).to_be_visible()
    screenshot(page, "inbox")

    page.get_by_test_id("channel").select_option("phone")
    expect(page).to_have_url(re.compile(r"channel=phone"))
    rows = page.locator("[data-testid=inbox-list] tbody tr[data-conversation]")
    expect(rows.first).to_be_visible()
    for text in rows.locator("td:nth-child(2)").all_inner_texts():
        assert "热线电话" in text
    screenshot(page, "filtered")

    rows.first.locator("a").first.click()
    expect(page.get_by_test_id("thread")).to_be_visible()
    page.evaluate("window.__noReload = true")
    reply = "您好，已经为您加急处理，请留意短信通知。"
    page.get_by_test_id("reply-body").fill(reply)
    page.get_by_test_id("send").click()
    expect(page.get_by_test_id("thread")).to_contain_text(reply)
    assert page.evaluate("window.__noReload") is True, "the reply should appear without a full page reload"
    screenshot(page, "replied")


def test_interface_switches_between_chinese_and_english(live_server_url, new_context, login, screenshot):
    page = new_context().new_page()
    login(page, "xiaoli", "dabai-agent")
    expect(page.locator("h1")).to_contain_text("收件箱")
    page.get_by_test_id("language").select_option("en")
    expect(page.locator("h1")).to_contain_text("Inbox")
    screenshot(page, "english")
    page.get_by_test_id("language").select_option("zh-hans")
    expect(page.locator("h1")).to_contain_text("收件箱")
