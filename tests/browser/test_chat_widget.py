"""The chat widget on a website and an agent at the desk, chatting both ways in real time."""

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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


@pytest.fixture
def shop_site(live_server_url) -> Iterator[str]:
    """The company's own website on another origin (localhost, not dabai's 127.0.0.1) embedding the widget."""
    page = (
        '<!DOCTYPE html><html lang="zh-hans"><head><meta charset="utf-8"><title>小店</title></head>'
        f'<body><h1>欢迎光临小店</h1><script src="{live_server_url}/channels/chat/widget.js" async></script>'
        "</body></html>"
    ).encode()

    class Shop(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Shop)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_widget_on_another_site_chats_with_the_desk(
    live_server_url, shop_site, new_context, login, screenshot
):
    agent = new_context().new_page()
    login(agent, "banzhang", "dabai-supervisor")
    agent.goto(f"{live_server_url}/inbox/?channel=chat")
    expect(agent.get_by_test_id("inbox-list")).to_be_visible()

    shop = new_context()
    visitor = shop.new_page()
    visitor.goto(shop_site)
    visitor.get_by_test_id("chat-open").click()
    question = "你们网店的退货地址是哪里？"
    visitor.get_by_test_id("chat-input").fill(question)
    visitor.get_by_test_id("chat-send").click()
    expect(visitor.locator("[data-testid=chat-messages] li[data-acked='1']")).to_have_text(question)
    screenshot(visitor, "shop-visitor-asked")

    row = agent.locator("[data-testid=inbox-list] tr[data-conversation]", has_text="退货地址")
    expect(row).to_be_visible(timeout=15_000)
    row.locator("a").first.click()
    answer = "您好，退货地址是上海市浦东新区XX路1号。"
    agent.get_by_test_id("reply-body").fill(answer)
    agent.get_by_test_id("send").click()
    expect(visitor.locator("[data-testid=chat-messages] li[data-from=agent]")).to_have_text(answer)
    screenshot(visitor, "shop-visitor-answered")

    assert not [c for c in shop.cookies() if c["name"] == "dabai_visitor"], "no third-party cookie involved"
    visitor.reload()  # the widget keeps its token on the shop's side and finds the chat again
    visitor.get_by_test_id("chat-open").click()
    expect(visitor.get_by_test_id("chat-messages")).to_contain_text(answer)
