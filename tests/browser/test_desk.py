"""The agent's desk in a real browser: shortcuts, a canned reply inserted with `/`, two agents noticing each
other in one conversation, badges that show their reasons."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

CONVERSATION_URL = re.compile(r"/inbox/\d+/$")


def open_first_phone_conversation(page, live_server_url) -> str:
    """The first active phone conversation (open or waiting on the customer) the customer spoke in (a mood dot
    on its row: the filter read them; outreach calls the centre started have no customer words yet). The small
    demo keeps few open conversations (most are settled, as on a real floor), so waiting ones count too."""
    page.goto(f"{live_server_url}/inbox/?channel=phone&status=active")
    page.locator("[data-testid=inbox-list] tbody tr[data-conversation]:has(.glance .dot) a").first.click()
    expect(page).to_have_url(CONVERSATION_URL)
    expect(page.locator(".live-dot.on")).to_be_visible()  # the WebSocket is connected
    return page.url


def test_keyboard_shortcuts_are_listed_on_question_mark_and_drive_the_desk(
    live_server_url, new_context, login, screenshot
):
    page = new_context().new_page()
    login(page, "xiaoli", "dabai-agent")
    page.goto(f"{live_server_url}/inbox/")
    page.keyboard.press("j")
    expect(page).to_have_url(CONVERSATION_URL)
    first = open_first_phone_conversation(page, live_server_url)  # the customer's words to draft from

    help_box = page.get_by_test_id("shortcuts-help")
    expect(help_box).to_be_hidden()
    page.keyboard.press("?")
    expect(help_box).to_be_visible()
    expect(help_box).to_contain_text("下一个会话")
    screenshot(page, "shortcuts")
    page.keyboard.press("Escape")
    expect(help_box).to_be_hidden()

    page.keyboard.press("n")
    expect(page.get_by_test_id("reply-body")).to_be_focused()
    expect(page.get_by_test_id("kind-note")).to_be_checked()
    page.keyboard.press("Escape")
    page.keyboard.press("r")
    expect(page.get_by_test_id("reply-body")).to_be_focused()
    expect(page.get_by_test_id("kind-reply")).to_be_checked()
    page.keyboard.press("Escape")

    page.keyboard.press("d")
    expect(page.get_by_test_id("reply-body")).to_have_value(re.compile("您好"))
    page.get_by_test_id("reply-body").fill("")
    page.keyboard.press("Escape")

    page.keyboard.press("j")
    expect(page).not_to_have_url(first)
    expect(page).to_have_url(CONVERSATION_URL)


def test_slash_searches_canned_replies_and_inserts_one_filled_in(
    live_server_url, new_context, login, screenshot
):
    page = new_context().new_page()
    login(page, "xiaoli", "dabai-agent")
    open_first_phone_conversation(page, live_server_url)
    customer = page.get_by_test_id("customer-panel").locator("p a").first.inner_text()

    box = page.get_by_test_id("reply-body")
    box.click()
    box.press_sequentially("/物流")
    picker = page.get_by_test_id("macro-picker")
    expect(picker).to_be_visible()
    expect(picker.locator("li").first).to_contain_text("物流催单")
    screenshot(page, "macro-picker")
    box.press("Enter")
    expect(picker).to_be_hidden()
    # Addressed politely (王先生 / 王女士 when the gender is known, else 您好), never by the full name.
    # (The pattern runs in the browser, where \w is ASCII only: a surname is any one or two characters.)
    expect(box).to_have_value(re.compile(r"^(.{1,2}(先生|女士))?您好，关于订单.*已联系物流加急核实"))
    assert customer not in box.input_value()
    assert "{customer_name}" not in box.input_value()
    assert "/物流" not in box.input_value()


def test_two_agents_in_one_conversation_see_each_other_and_who_is_typing(
    live_server_url, new_context, login, screenshot
):
    agent = new_context().new_page()
    login(agent, "xiaoli", "dabai-agent")
    url = open_first_phone_conversation(agent, live_server_url)

    supervisor = new_context().new_page()
    login(supervisor, "banzhang", "dabai-supervisor")
    supervisor.goto(url)

    expect(agent.get_by_test_id("collision")).to_contain_text("陈班长 也在查看此会话")
    expect(supervisor.get_by_test_id("collision")).to_contain_text("李晓 也在查看此会话")

    supervisor.get_by_test_id("reply-body").press_sequentially("您好")
    expect(agent.get_by_test_id("collision")).to_contain_text("陈班长 正在输入回复")
    screenshot(agent, "collision")

    supervisor.close()
    expect(agent.get_by_test_id("collision")).to_be_hidden()


def test_hovering_a_badge_highlights_the_words_behind_it(live_server_url, new_context, login):
    page = new_context().new_page()
    login(page, "xiaoli", "dabai-agent")
    open_first_phone_conversation(page, live_server_url)
    badge = page.locator(".msg.inbound [data-why-key=sentiment]").first
    expect(badge).to_be_visible()
    reasons = badge.get_attribute("title").split(":", 1)[1].strip()
    assert reasons and reasons != "—"
    badge.hover()
    expect(page.locator(".msg.inbound").first).to_have_class(re.compile("why-sentiment"))
    why = page.locator(".msg.inbound details.why").first
    why.locator("summary").click()
    expect(why.locator("li").first).to_be_visible()


def test_a_mention_in_a_note_pops_up_for_the_colleague(live_server_url, new_context, login):
    supervisor = new_context().new_page()
    login(supervisor, "banzhang", "dabai-supervisor")
    supervisor.goto(f"{live_server_url}/inbox/")
    expect(supervisor.locator(".live-dot.on")).to_be_visible()

    agent = new_context().new_page()
    login(agent, "xiaoli", "dabai-agent")
    open_first_phone_conversation(agent, live_server_url)
    agent.keyboard.press("n")
    agent.get_by_test_id("reply-body").fill("@陈班长 客户情绪激动，请帮忙看一下")
    agent.get_by_test_id("send").click()
    expect(agent.get_by_test_id("thread")).to_contain_text("请帮忙看一下")

    toast = supervisor.get_by_test_id("toast")
    expect(toast).to_contain_text("李晓")
    toast.click()
    expect(supervisor).to_have_url(CONVERSATION_URL)
    expect(supervisor.get_by_test_id("thread")).to_contain_text("请帮忙看一下")
