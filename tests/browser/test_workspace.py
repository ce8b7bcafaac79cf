"""The agent's workspace in a real browser, at a desk (1440×900) and on a phone (390×844): the list stays in
place while conversations open beside it, j / k, views with counts, bulk assignment, send-and-resolve, and a
snoozed conversation that comes back on its own; a 【blank】 left unfilled and a name in a public post are
refused."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

DESK = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
CENTRE = ZoneInfo("Asia/Shanghai")


def row_ids(page, limit: int) -> list[str]:
    rows = page.locator("#inbox-list tr[data-conversation]")
    expect(rows.first).to_be_visible()
    return rows.evaluate_all("(rows, n) => rows.slice(0, n).map(r => r.dataset.conversation)", limit)


def open_from_list(page, conversation_id: str) -> None:
    page.locator(f'#inbox-list tr[data-conversation="{conversation_id}"] a[data-open-conversation]').click()
    expect(page.locator("#desk")).to_have_attribute("data-conversation", conversation_id)
    expect(page).to_have_url(re.compile(rf"/inbox/{conversation_id}/$"))


def test_a_working_session_in_the_three_pane_workspace(live_server_url, new_context, login, screenshot):
    page = new_context(viewport=DESK).new_page()
    login(page, "xiaoli", "dabai-agent")
    page.goto(f"{live_server_url}/inbox/?status=active")
    expect(page.get_by_test_id("views")).to_contain_text("我的")
    screenshot(page, "list")

    # Five conversations opened from the list: the list is the same element throughout, no page load.
    page.evaluate("window.__sameList = document.getElementById('list-pane'); window.__noReload = true")
    ids = row_ids(page, 5)
    assert len(ids) == 5
    for conversation_id in ids:
        open_from_list(page, conversation_id)
        expect(page.get_by_test_id("thread")).to_be_visible()
        expect(page.get_by_test_id("customer-panel")).to_be_visible()
        expect(page.locator(f'#inbox-list tr[data-conversation="{conversation_id}"]')).to_have_class(
            re.compile("current")
        )
    assert page.evaluate("window.__sameList === document.getElementById('list-pane') && window.__noReload")
    screenshot(page, "three-panes")

    # j / k move along the list, in place.
    at = page.locator("#inbox-list tr[data-conversation]").evaluate_all(
        "(rows, id) => rows.findIndex(r => r.dataset.conversation === id)", ids[-1]
    )
    page.keyboard.press("k")
    expect(page.locator("#desk")).not_to_have_attribute("data-conversation", ids[-1])
    page.keyboard.press("j")
    expect(page.locator("#desk")).to_have_attribute("data-conversation", ids[-1])
    assert at >= 1
    assert page.evaluate("window.__sameList === document.getElementById('list-pane') && window.__noReload")

    # Reload: the same conversation, the list beside it.
    page.reload()
    expect(page.locator("#desk")).to_have_attribute("data-conversation", ids[-1])
    expect(page.get_by_test_id("inbox-list")).to_be_visible()

    # Bulk: assign two conversations to myself.
    page.evaluate("window.__sameList = document.getElementById('list-pane')")
    for conversation_id in ids[:2]:
        page.locator(f'#inbox-list tr[data-conversation="{conversation_id}"] input[name=ids]').check()
    expect(page.locator("[data-selected-count]")).to_contain_text("已选 2 个")
    page.get_by_test_id("bulk-action").select_option("assign")
    page.get_by_test_id("bulk-assignee").select_option(label="李晓")
    page.get_by_test_id("bulk-apply").click()
    expect(page.get_by_test_id("bulk-notice")).to_contain_text("已更新 2 个会话")
    screenshot(page, "bulk-assigned")
    open_from_list(page, ids[0])
    expect(page.get_by_test_id("assign-form").locator("select")).to_have_value(re.compile(r"\d+"))

    # Send and resolve in one action.
    reply = "您好，问题已处理完毕，如有疑问欢迎随时联系我们。"
    page.get_by_test_id("reply-body").fill(reply)
    page.get_by_test_id("send-resolve").click()
    expect(page.get_by_test_id("conversation-status")).to_have_text("已解决")
    expect(page.get_by_test_id("thread")).to_contain_text(reply)
    expect(page.get_by_test_id("reopen")).to_be_visible()
    screenshot(page, "sent-and-resolved")
    assert page.evaluate("window.__sameList === document.getElementById('list-pane')")


def test_a_snoozed_conversation_comes_back_on_its_own(live_server_url, new_context, login, screenshot):
    page = new_context(viewport=DESK).new_page()
    login(page, "xiaoli", "dabai-agent")
    page.goto(f"{live_server_url}/inbox/?status=active")
    (conversation_id,) = row_ids(page, 1)
    open_from_list(page, conversation_id)

    # Snooze until the next minute (the form speaks the centre's time).
    now = datetime.now(CENTRE)
    until = (now + timedelta(minutes=1 if now.second < 40 else 2)).replace(second=0, microsecond=0)
    page.get_by_test_id("snooze-menu").locator("summary").click()
    page.get_by_test_id("snooze-until").fill(until.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_test_id("snooze-custom").click()
    expect(page.get_by_test_id("snoozed")).to_contain_text(until.strftime("%H:%M"))
    row = page.locator(f'#inbox-list tr[data-conversation="{conversation_id}"]')
    expect(row).to_have_count(0)  # out of the open views while asleep
    expect(page.get_by_test_id("count-snoozed")).not_to_have_text("0")
    screenshot(page, "snoozed")

    # At its time the worker wakes it and the list brings it back by itself.
    expect(row).to_have_count(1, timeout=150_000)
    page.locator(f'#inbox-list tr[data-conversation="{conversation_id}"] a[data-open-conversation]').click()
    expect(page.get_by_test_id("snoozed")).to_have_count(0)
    screenshot(page, "woken")


def test_the_workspace_on_a_phone(live_server_url, new_context, login, screenshot):
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    login(page, "xiaoli", "dabai-agent")
    page.goto(f"{live_server_url}/inbox/?status=active")
    ids = row_ids(page, 2)
    first_row = page.locator(f'#inbox-list tr[data-conversation="{ids[0]}"]')
    box = first_row.bounding_box()
    assert box and box["width"] > 300, "rows are cards as wide as the phone, not narrow columns"
    screenshot(page, "phone-list")

    page.evaluate("window.__sameList = document.getElementById('list-pane')")
    open_from_list(page, ids[0])
    expect(page.get_by_test_id("list-pane")).to_be_hidden()
    expect(page.get_by_test_id("thread")).to_be_visible()
    expect(page.get_by_test_id("send")).to_be_visible()
    screenshot(page, "phone-conversation")

    page.get_by_test_id("back-to-list").click()
    expect(page.get_by_test_id("list-pane")).to_be_visible()
    open_from_list(page, ids[1])
    assert page.evaluate("window.__sameList === document.getElementById('list-pane')")
    screenshot(page, "phone-second-conversation")


def test_a_reply_with_an_unfilled_blank_is_refused_and_nothing_is_sent(
    live_server_url, new_context, login, screenshot
):
    """A canned reply whose 【blank】 was never filled cannot embarrass anyone: refused next to Send, nothing
    stored, the status left as it was."""
    page = new_context(viewport=DESK).new_page()
    login(page, "xiaoli", "dabai-agent")
    page.goto(f"{live_server_url}/inbox/?status=active")
    open_from_list(page, row_ids(page, 1)[0])
    status = page.get_by_test_id("conversation-status").inner_text()
    page.get_by_test_id("reply-body").fill("您好，您的订单【订单号】已发货，预计【日期】送达。")
    page.get_by_test_id("send-resolve").click()
    expect(page.get_by_test_id("send-error")).to_contain_text("订单号")
    expect(page.get_by_test_id("thread")).not_to_contain_text("预计【日期】送达")
    expect(page.get_by_test_id("conversation-status")).to_have_text(status)
    screenshot(page, "blank-refused")


def test_a_public_weibo_reply_never_carries_the_customers_name(
    live_server_url, new_context, login, screenshot
):
    """On a public Weibo post a canned reply fills in no name, and a name typed by hand is refused."""
    page = new_context(viewport=DESK).new_page()
    login(page, "xiaozhou", "dabai-agent")
    page.goto(f"{live_server_url}/inbox/?channel=weibo&status=active")
    public = page.locator("#inbox-list tr[data-conversation]:has([data-testid=public])").first
    open_from_list(page, public.get_attribute("data-conversation"))
    expect(page.get_by_test_id("public-warning")).to_contain_text("公开回复")
    name = page.get_by_test_id("customer-panel").locator("p a").first.inner_text().strip()

    box = page.get_by_test_id("reply-body")
    box.click()
    box.press_sequentially("/物流")
    expect(page.get_by_test_id("macro-picker")).to_be_visible()
    box.press("Enter")
    expect(box).to_have_value(re.compile(r"^您好，关于订单"))
    assert name not in box.input_value()
    screenshot(page, "public-canned-reply")

    box.fill(f"{name}您好，已经为您加急处理。")
    page.get_by_test_id("send").click()
    expect(page.get_by_test_id("send-error")).to_be_visible()
    expect(page.get_by_test_id("thread")).not_to_contain_text("已经为您加急处理")
    screenshot(page, "public-name-refused")
