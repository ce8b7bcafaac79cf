"""Programmes in the demo centre, end to end in Chromium.

A training day: the supervisor plans a session, the product manager registers, is selected by a seeded
lottery, accepts and gets a valid calendar invitation, is checked in at the door, watches an agent's desk
side by side (masked), the discussion's cooperation intention lands in finance's follow-up queue, the
certificate PDF carries the Chinese name, and the feedback survey is answered.

A meet-up: a customer registers on the public page, is checked in by the QR link, asks a question the
supervisor marks answered, wins the seeded prize draw and answers the survey.
"""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from dabai.programs.tests.pdftext import pdf_text

pytestmark = pytest.mark.browser

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _tomorrow(hour: int) -> str:
    day = datetime.now(SHANGHAI) + timedelta(days=1)
    return day.strftime(f"%Y-%m-%dT{hour:02d}:00")


def _plan_session(page, base: str, programme: str, title: str, capacity: int) -> str:
    page.goto(f"{base}/programs/organise/")
    page.get_by_test_id("programmes").get_by_role("link", name=programme).click()
    page.fill("#id_title", title)
    page.fill("#id_starts_at", _tomorrow(9))
    page.fill("#id_ends_at", _tomorrow(17))
    page.fill("#id_place", "上海客户服务中心")
    page.fill("#id_room", "302")
    page.fill("#id_capacity", str(capacity))
    page.locator("form.stacked button[type=submit]").click()
    page.wait_for_url(re.compile(r"/programs/organise/sessions/\d+/$"))
    return page.url


def _answer_survey(page) -> None:
    page.get_by_test_id("survey-link").click()
    form = page.get_by_test_id("answer-form")
    form.get_by_test_id("answer-1").locator("input").nth(4).check()  # 5★
    form.get_by_test_id("answer-2").locator("input").nth(10).check()  # NPS 10
    third = form.get_by_test_id("answer-3")
    if third.locator("input[type=radio]").count():
        third.locator("input[type=radio]").first.check()
    page.get_by_test_id("answer-submit").click()
    expect(page.get_by_test_id("survey-thanks")).to_be_visible()


def test_a_training_day_end_to_end(live_server_url, new_context, login, screenshot):
    base = live_server_url
    organiser = new_context().new_page()
    login(organiser, "banzhang", "dabai-supervisor")
    session_url = _plan_session(organiser, base, "深层次用户体验培训", "浏览器测试期", 2)

    member_context = new_context()
    member = member_context.new_page()
    login(member, "chanpin", "dabai-department")
    member.goto(f"{base}/programs/")
    card = member.get_by_test_id("open-session").filter(has_text="浏览器测试期")
    card.locator("textarea").fill("想直接听到用户的声音")
    card.get_by_test_id("register").click()
    expect(member.get_by_test_id("my-registrations")).to_contain_text("浏览器测试期")
    screenshot(member, "registered")

    organiser.goto(session_url)
    organiser.get_by_test_id("select-form").locator("input[name=seed]").fill("12345")
    organiser.get_by_test_id("select").click()
    expect(organiser.get_by_test_id("selection-seed")).to_have_text("12345")
    expect(organiser.get_by_test_id("selection-log")).to_contain_text("产品经理王工")
    screenshot(organiser, "selected")

    member.goto(f"{base}/programs/")
    member.get_by_test_id("my-registration").filter(has_text="浏览器测试期").get_by_test_id("my-page").click()
    my_page = member.url
    member.get_by_test_id("accept").click()
    expect(member.get_by_test_id("my-status")).to_have_attribute("class", re.compile("status-confirmed"))
    ics = member.request.get(base + member.get_by_test_id("calendar").get_attribute("href"))
    calendar = Calendar.from_ical(ics.body())
    assert str(calendar["METHOD"]) == "REQUEST"
    assert [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    (event,) = calendar.walk("VEVENT")
    assert "浏览器测试期" in str(event["SUMMARY"]) and event["DTSTART"].dt.hour == 9
    screenshot(member, "invitation")

    organiser.goto(session_url)
    organiser.get_by_test_id("checkin-link").click()
    organiser.get_by_test_id("checkin-search").fill("王工")
    organiser.keyboard.press("Enter")
    organiser.get_by_test_id("checkin-person").filter(has_text="产品经理王工").get_by_test_id(
        "checkin-button"
    ).click()
    expect(organiser.get_by_test_id("checkin-person").filter(has_text="产品经理王工")).to_contain_text(
        re.compile("已签到|Checked in")
    )
    screenshot(organiser, "check-in")
    organiser.goto(session_url)
    organiser.get_by_test_id("pair").click()
    expect(organiser.get_by_test_id("registrations")).to_contain_text(
        re.compile("xiaoli|xiaozhou|agent|坐席|小")
    )

    member.goto(f"{base}/programs/")
    member.get_by_test_id("my-registration").filter(has_text="浏览器测试期").get_by_test_id(
        "observe-link"
    ).click()
    expect(member.get_by_test_id("observed-desk")).to_be_visible()
    assert member.locator("textarea").count() == 0  # read-only: no reply box
    screenshot(member, "side-by-side")

    organiser.goto(session_url)
    note = organiser.get_by_test_id("note-form")
    note.locator("input[name=topic]").fill("退款到账说明（浏览器测试）")
    note.locator("textarea[name=conclusion]").fill("用户不知道退款要3-5个工作日")
    note.locator("select[name=department_0]").select_option(label="财务部")
    note.locator("input[name=intention_0]").fill("在退款页面写明到账时间")
    organiser.get_by_test_id("save-note").click()
    expect(organiser.get_by_test_id("intention").filter(has_text="在退款页面写明到账时间")).to_contain_text(
        "#"
    )
    screenshot(organiser, "notes")

    finance = new_context().new_page()
    login(finance, "caiwu", "dabai-department")
    finance.goto(f"{base}/voc/followups/")
    expect(finance.get_by_text("深层次用户体验培训：退款到账说明（浏览器测试）")).to_be_visible()
    screenshot(finance, "followup")

    organiser.goto(session_url)
    organiser.get_by_test_id("issue-certificates").click()
    organiser.get_by_test_id("send-survey").click()
    expect(organiser.get_by_test_id("certificate-link").first).to_be_visible()

    member.goto(my_page)
    pdf = member.request.get(base + member.get_by_test_id("my-certificate").get_attribute("href"))
    assert pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.body())
    assert "产品经理王工" in text and "深层次用户体验培训" in text
    code = re.search(r"[A-Z2-9]{10}", text.split("验证码")[1]).group(0)
    verify = new_context().new_page()
    verify.goto(f"{base}/programs/verify/{code}/")
    expect(verify.get_by_test_id("certificate-name")).to_have_text("产品经理王工")
    screenshot(verify, "certificate-verified")
    member.goto(my_page)
    _answer_survey(member)
    screenshot(member, "survey")


def test_a_meetup_end_to_end(live_server_url, new_context, login, screenshot):
    base = live_server_url
    organiser = new_context().new_page()
    login(organiser, "banzhang", "dabai-supervisor")
    session_url = _plan_session(organiser, base, "用户见面会", "浏览器测试见面会", 5)

    customer = new_context().new_page()
    customer.goto(f"{base}/programs/meetups/")
    customer.get_by_test_id("meetup-link").filter(has_text="浏览器测试见面会").click()
    form = customer.get_by_test_id("meetup-form")
    form.locator("input[name=name]").fill("韩小姐")
    form.locator("input[name=email]").fill("han.browser@example.cn")
    form.locator("input[name=consent]").check()
    screenshot(customer, "public-registration")
    customer.get_by_test_id("meetup-submit").click()
    customer.wait_for_url(re.compile(r"/programs/r/[^/]+/$"))
    token = customer.url.rstrip("/").split("/")[-1]
    expect(customer.get_by_test_id("door-qr")).to_be_visible()
    screenshot(customer, "confirmation")

    organiser.goto(f"{base}/programs/organise/check-in/{token}/")
    expect(organiser.get_by_test_id("checkin-name")).to_contain_text("韩小姐")
    organiser.get_by_test_id("checkin-confirm").click()

    customer.reload()
    customer.get_by_test_id("qa-link").click()
    customer.get_by_test_id("ask-form").locator("textarea").fill("退款一般多久到账？")
    customer.get_by_test_id("ask").click()
    expect(customer.get_by_test_id("question").filter(has_text="退款一般多久到账？")).to_be_visible()
    screenshot(customer, "questions")

    organiser.goto(session_url)
    organiser.get_by_test_id("staff-qa-link").click()
    question = organiser.get_by_test_id("staff-question").filter(has_text="退款一般多久到账？")
    question.get_by_test_id("mark-answered").click()
    expect(organiser.get_by_test_id("staff-question").filter(has_text="退款一般多久到账？")).to_have_class(
        re.compile("answered")
    )
    expect(customer.get_by_test_id("question").filter(has_text="退款一般多久到账？")).to_have_class(
        re.compile("answered"), timeout=15_000
    )  # the attendee's list polls

    organiser.goto(session_url)
    draw = organiser.get_by_test_id("draw-form")
    draw.locator("input[name=winners]").fill("1")
    draw.locator("input[name=seed]").fill("7")
    organiser.get_by_test_id("draw").click()
    expect(organiser.get_by_test_id("draw-seed")).to_have_text("7")
    expect(organiser.get_by_test_id("winner")).to_contain_text("韩小姐")
    screenshot(organiser, "prize-draw")
    organiser.get_by_test_id("send-survey").click()

    customer.goto(f"{base}/programs/r/{token}/")
    _answer_survey(customer)
    screenshot(customer, "survey")
