"""A visitor finds an answer in the public help centre: suggestions while typing, the article, feedback."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_visitor_finds_an_answer_with_suggestions_and_says_it_helped(
    live_server_url, new_context, screenshot
):
    page = new_context().new_page()
    page.goto(f"{live_server_url}/help/")
    expect(page.get_by_role("heading", level=1)).to_have_text("有什么可以帮您？")
    screenshot(page, "home")

    box = page.get_by_test_id("help-search")
    box.press_sequentially("退钱多久能到", delay=40)
    suggestion = page.get_by_test_id("help-suggestions").locator("a").first
    expect(suggestion).to_contain_text("退款多久到账")
    screenshot(page, "suggestions")

    suggestion.click()
    expect(page.get_by_test_id("article-title")).to_have_text("退款多久到账")
    page.get_by_test_id("helpful-yes").click()
    expect(page.get_by_test_id("feedback-thanks")).to_be_visible()
    screenshot(page, "article-helpful")


def test_traditional_script_search_shows_highlighted_results(live_server_url, new_context, screenshot):
    page = new_context().new_page()
    page.goto(f"{live_server_url}/help/")
    page.get_by_test_id("help-search").fill("我的快遞到哪了")
    page.get_by_test_id("help-search").press("Enter")
    expect(page).to_have_url(re.compile(r"/help/search/\?q="))
    results = page.get_by_test_id("help-results")
    expect(results.locator("a").first).to_contain_text("快递")
    expect(results.locator("mark").first).to_be_visible()
    screenshot(page, "results")


def test_help_centre_fits_a_phone_screen(live_server_url, new_context, screenshot):
    page = new_context(viewport={"width": 375, "height": 740}, is_mobile=True).new_page()
    page.goto(f"{live_server_url}/help/a/refund-time/")
    expect(page.get_by_test_id("article-title")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page scrolls sideways by {overflow}px on a phone"
    screenshot(page, "phone")


def test_english_visitor_reads_english_articles(live_server_url, new_context):
    page = new_context(locale="en-US").new_page()
    page.goto(f"{live_server_url}/help/")
    page.get_by_test_id("language").select_option("en")
    expect(page.get_by_role("heading", level=1)).to_have_text("How can we help?")
    expect(page.locator("main")).to_contain_text("How long does a refund take?")
