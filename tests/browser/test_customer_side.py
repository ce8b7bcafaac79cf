"""The customer side of issue 15 in a real browser, on a 390×844 phone and a 1440×900 desk screen: the bot's
hand-over message in the chat widget, an article card whose 没解决 hands over, the help centre finding a
colloquial question, and the portal's list and new-request form. Screenshots go to ``artifacts/``."""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

SCREENS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1440, "height": 900}}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
HAND_OVER = re.compile("正在为您转接人工客服，前面还有 \\d+ 位，预计等待 \\d+ 分钟|人工客服将于.+起为您服务")


@pytest.fixture(params=list(SCREENS))
def screen(request) -> str:
    return request.param


def page_for(new_context, screen: str) -> Page:
    phone = screen == "phone"
    return new_context(viewport=SCREENS[screen], is_mobile=phone, has_touch=phone).new_page()


def no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page scrolls sideways by {overflow}px"


def open_chat(page: Page, url: str) -> None:
    page.goto(f"{url}/channels/chat/demo/")
    page.get_by_test_id("chat-open").click()
    expect(page.get_by_test_id("chat-panel")).to_be_visible()


def say(page: Page, text: str) -> None:
    page.get_by_test_id("chat-input").fill(text)
    page.get_by_test_id("chat-input").press("Enter")
    expect(page.locator("[data-testid=chat-messages] li[data-acked='1']").last).to_have_text(text)


def bot_says(page: Page, pattern) -> None:
    expect(page.locator("[data-testid=chat-messages] li[data-from=agent]").last).to_contain_text(
        pattern, timeout=30_000
    )


def test_the_widget_greets_and_tells_at_once_where_a_handed_over_customer_stands(
    live_server_url, new_context, screen, screenshot
):
    page = page_for(new_context, screen)
    open_chat(page, live_server_url)
    expect(page.get_by_test_id("chat-greeting")).to_be_visible()
    suggestions = page.get_by_test_id("chat-suggestion")
    expect(suggestions.first).to_be_visible(timeout=10_000)
    assert 3 <= suggestions.count() <= 5
    box = page.get_by_test_id("chat-panel").bounding_box()
    assert box["width"] <= SCREENS[screen]["width"] - 16, "the panel fits the screen"
    no_sideways_scroll(page)
    screenshot(page, f"{screen}-widget-greeting")

    expect(page.get_by_test_id("chat-input")).to_be_focused()
    say(page, "转人工")
    bot_says(page, HAND_OVER)
    told = page.locator("[data-testid=chat-messages] li[data-from=agent]").last
    if told.get_by_test_id("chat-contact-form").count():
        # Out of hours: the customer leaves a number and is told it was noted (masked).
        told.get_by_test_id("chat-contact").fill("13812345678")
        told.get_by_test_id("chat-contact").press("Enter")
        bot_says(page, "138****5678")
    screenshot(page, f"{screen}-widget-hand-over")

    page.keyboard.press("Escape")
    expect(page.get_by_test_id("chat-panel")).to_be_hidden()
    expect(page.get_by_test_id("chat-open")).to_be_focused()


def test_an_article_card_links_to_the_help_centre_and_not_solved_hands_over(
    live_server_url, new_context, screen, screenshot
):
    page = page_for(new_context, screen)
    open_chat(page, live_server_url)
    say(page, "请问退款多久能到账？")
    card = page.locator("[data-testid=chat-messages] li[data-card=article]").last
    expect(card).to_contain_text("退款多久到账", timeout=30_000)
    expect(card.get_by_test_id("chat-card-link")).to_have_attribute(
        "href", re.compile(r"/help/a/refund-time/$")
    )
    screenshot(page, f"{screen}-article-card")
    card.get_by_test_id("chat-unsolved").click()
    expect(page.locator("[data-testid=chat-messages] li[data-from=visitor]").last).to_have_text("没解决")
    bot_says(page, HAND_OVER)
    expect(card.get_by_test_id("chat-unsolved")).to_have_count(0)
    screenshot(page, f"{screen}-not-solved-handed-over")


def test_the_help_centre_finds_a_colloquial_question_and_never_ends_in_a_dead_end(
    live_server_url, new_context, screen, screenshot
):
    page = page_for(new_context, screen)
    page.goto(f"{live_server_url}/help/")
    expect(page.get_by_test_id("cta-request")).to_be_visible()
    expect(page.get_by_test_id("cta-chat")).to_be_visible()
    menu_button = page.get_by_test_id("menu-button")
    if screen == "phone":
        expect(menu_button).to_be_visible()
        expect(page.locator("#cx-menu")).to_be_hidden()
        menu_button.click()
        expect(page.locator("#cx-menu")).to_be_visible()
        screenshot(page, f"{screen}-help-menu-open")
        menu_button.click()
    else:
        expect(menu_button).to_be_hidden()
    page.get_by_test_id("help-search").fill("网断了咋办")
    page.get_by_test_id("help-search").press("Enter")
    results = page.get_by_test_id("help-results")
    expect(results.locator("a").first).to_contain_text("宽带断网")
    no_sideways_scroll(page)
    screenshot(page, f"{screen}-help-colloquial-search")

    page.goto(f"{live_server_url}/help/search/?q=火星移民签证")
    expect(page.get_by_test_id("help-no-results")).to_be_visible()
    more = page.get_by_test_id("more-help")
    expect(more.get_by_test_id("more-help-request")).to_be_visible()
    more.get_by_test_id("more-help-chat").click()
    expect(page.get_by_test_id("chat-panel")).to_be_visible()
    screenshot(page, f"{screen}-help-empty-search-chat")


def test_the_portal_list_and_new_request_work_on_a_phone(
    live_server_url, new_context, login, screen, screenshot
):
    page = page_for(new_context, screen)
    login(page, "kehu", "dabai-customer")
    page.goto(f"{live_server_url}/portal/")
    rows = page.get_by_test_id("portal-request")
    expect(rows.first).to_be_visible()
    title = rows.first.locator(".cx-title")
    assert title.bounding_box()["width"] > 200, "the title gets a real line, not one character per line"
    expect(rows.first.get_by_test_id("portal-state")).to_have_text(re.compile("处理中|待您回复|已解决"))
    no_sideways_scroll(page)
    screenshot(page, f"{screen}-portal-list")

    page.get_by_test_id("portal-new").click()
    page.locator("#id_category").select_option(label="退款与售后")
    page.locator("#id_subject").press_sequentially("退款多久到账", delay=30)
    expect(page.get_by_test_id("portal-suggestions").locator("a").first).to_be_visible(timeout=10_000)
    page.locator("#id_order_number").fill("E20261130-001")
    page.locator("#id_body").fill("申请退款一周了还没到账")
    page.locator("#id_photo").set_input_files({"name": "截图.png", "mimeType": "image/png", "buffer": PNG})
    no_sideways_scroll(page)
    screenshot(page, f"{screen}-portal-new-request")
    page.get_by_test_id("portal-submit").click()
    expect(page.get_by_test_id("portal-title")).to_have_text("退款多久到账")
    expect(page.get_by_test_id("portal-state")).to_have_text("处理中")
    screenshot(page, f"{screen}-portal-request-sent")
