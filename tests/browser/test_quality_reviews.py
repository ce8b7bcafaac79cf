"""Sampled reviews in the demo centre: the supervisor draws a sample and reviews a conversation of 李晓 with
a coaching note, which 李晓 reads on her own page; a survey is built, answered on a phone, read in charts."""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_sample_review_and_coaching_note_visible_to_the_agent(
    live_server_url, new_context, login, screenshot
):
    page = new_context().new_page()
    login(page, "banzhang", "dabai-supervisor")
    page.goto(f"{live_server_url}/quality/reviews/")
    expect(page.get_by_test_id("cycles")).to_contain_text("上周抽检")  # the demo's past cycle
    form = page.get_by_test_id("new-cycle")
    form.locator("input[name=name]").fill("浏览器测试抽检")
    form.locator("input[name=period_start]").fill((date.today() - timedelta(days=30)).isoformat())
    form.locator("input[name=period_end]").fill(date.today().isoformat())
    form.locator("input[name=seed]").fill("777")
    page.get_by_test_id("draw").click()
    expect(page.get_by_test_id("seed")).to_have_text("777")
    section = page.get_by_test_id("agent-sample").filter(has=page.get_by_role("heading", name="李晓"))
    expect(section.get_by_test_id("sample-item").first).to_be_visible()
    expect(section).to_contain_text(re.compile("随机抽取|投诉|满意度低|重复联系|处理时间长|情绪变差"))
    screenshot(page, "sample")

    section.get_by_test_id("review-link").first.click()
    expect(page.get_by_test_id("transcript")).to_be_visible()
    verdicts = page.get_by_test_id("verdict")
    for n in range(verdicts.count()):
        verdicts.nth(n).get_by_label("是", exact=True).check()
    verdicts.nth(0).get_by_label("部分", exact=True).check()
    note = "先确认了订单号，客户不用重复说明，很好。下次可以主动告诉客户预计送达的时间。"
    page.fill("textarea[name=coaching_note]", note)
    screenshot(page, "review-form")
    page.get_by_test_id("save-review").click()
    expect(page.get_by_test_id("seed")).to_have_text("777")

    agent = new_context().new_page()
    login(agent, "xiaoli", "dabai-agent")
    agent.goto(f"{live_server_url}/quality/mine/")
    card = agent.get_by_test_id("review-card").filter(has_text=note)
    expect(card).to_be_visible()
    expect(card).to_contain_text("陈班长")
    expect(card).to_contain_text("部分")
    screenshot(agent, "agent-sees-coaching")
    assert agent.goto(f"{live_server_url}/quality/reviews/").status == 403


def test_survey_built_with_htmx_answered_on_a_phone_and_read_in_charts(
    live_server_url, new_context, login, screenshot
):
    page = new_context().new_page()
    login(page, "banzhang", "dabai-supervisor")
    page.goto(f"{live_server_url}/surveys/")
    page.get_by_test_id("new-survey").locator("input[name=title]").fill("用户见面会反馈")
    page.get_by_test_id("new-survey").get_by_role("button").click()
    form = page.get_by_test_id("question-form")
    form.locator("select[name=kind]").select_option("rating")
    form.locator("input[name=text]").fill("整体满意度")
    page.get_by_test_id("add-question").click()
    expect(page.get_by_test_id("question")).to_have_count(1)
    form = page.get_by_test_id("question-form")
    form.locator("select[name=kind]").select_option("nps")
    form.locator("input[name=text]").fill("您会推荐朋友参加吗？")
    page.get_by_test_id("add-question").click()
    expect(page.get_by_test_id("question")).to_have_count(2)
    page.get_by_test_id("move-up").nth(1).click()
    expect(page.get_by_test_id("question").first).to_have_attribute("data-kind", "nps")
    invite = page.get_by_test_id("invite-form")
    invite.locator("textarea[name=people]").fill("王女士, wang@example.cn")
    invite.locator("input[name=subject]").fill("邀请您填写见面会反馈")
    invite.locator("textarea[name=body]").fill("王女士您好，请点击 {link} 填写。")
    invite.get_by_role("button").click()
    link = page.get_by_test_id("personal-link").first.get_attribute("href")
    screenshot(page, "builder")

    phone = new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True).new_page()
    phone.goto(f"{live_server_url}{link}")
    phone.get_by_test_id("answer-submit").click()
    expect(phone.get_by_test_id("question-error")).to_have_count(2)
    phone.get_by_test_id("answer-1").get_by_text("9", exact=True).click()
    phone.get_by_test_id("answer-2").get_by_text("4★", exact=True).click()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # nothing runs off a phone's screen
    screenshot(phone, "answer-on-phone")
    phone.get_by_test_id("answer-submit").click()
    expect(phone.get_by_test_id("survey-thanks")).to_be_visible()
    assert phone.goto(f"{live_server_url}{link}").status == 410

    page.get_by_test_id("results-link").click()
    expect(page.get_by_test_id("nps")).to_have_text("100.0")
    expect(page.locator("[data-chart=bars][data-ready='1']")).to_have_count(2)
    screenshot(page, "results")
