"""The chat widget on a website and an agent at the desk, chatting both ways in real time."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_visitor_and_agent_chat_both_ways_live(live_server_url, new_context, login, screenshot):
    agent = new_context().new_page()
    login(agent, "banzhang", "dabai-supervisor")
    agent.goto(f"{live_server_url}/inbox/?channel=chat")
    expect(agent.get_by_test_id("inbox-list")).to_be_visible()

    visitor = new_context().new_page()
    visitor.goto(f"{live_server_url}/channels/chat/demo/")
    visitor.get_by_test_id("chat-open").click()
    question = "你好，我昨天下的订单还没发货，能帮我查一下吗？"
    visitor.get_by_test_id("chat-input").fill(question)
    visitor.get_by_test_id("chat-send").click()
    expect(visitor.locator("[data-testid=chat-messages] li[data-acked='1']")).to_have_text(question)
    screenshot(visitor, "visitor-asked")

    row = agent.locator("[data-testid=inbox-list] tr[data-conversation]", has_text="订单还没发货")
    expect(row).to_be_visible(timeout=15_000)
    screenshot(agent, "inbox-live")
    row.locator("a").first.click()
    expect(agent.get_by_test_id("thread")).to_contain_text(question)

    answer = "您好，已经为您加急处理，今天下午发货。"
    agent.get_by_test_id("reply-body").fill(answer)
    agent.get_by_test_id("send").click()
    expect(visitor.locator("[data-testid=chat-messages] li[data-from=agent]")).to_have_text(answer)
    screenshot(visitor, "visitor-answered")

    follow_up = "太好了，谢谢！"
    visitor.get_by_test_id("chat-input").fill(follow_up)
    visitor.get_by_test_id("chat-send").click()
    expect(agent.get_by_test_id("thread")).to_contain_text(follow_up, timeout=15_000)
    expect(agent.get_by_test_id("thread")).to_contain_text(re.compile("已发送|Sent"))
    screenshot(agent, "agent-thread")

    visitor.reload()
    visitor.get_by_test_id("chat-open").click()
    history = visitor.get_by_test_id("chat-messages")
    for text in (question, answer, follow_up):
        expect(history).to_contain_text(text)
    screenshot(visitor, "visitor-returned")
