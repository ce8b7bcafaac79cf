"""Reaching out first, in the demo centre: a brand post without @ becomes a public conversation with its
reach shown; a campaign is created, previewed, sent and its results appear."""

import json
import re
import time

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

EXPORT = {
    "statuses": [
        {
            "id": 4_990_000_000_001,
            "idstr": "4990000000001",
            "text": "大白宽带又断网了，整整两天没人管，客服电话打不通，我要投诉到工信部！",
            "created_at": "Mon Nov 30 10:00:00 +0800 2026",
            "reposts_count": 431,
            "comments_count": 88,
            "attitudes_count": 1200,
            "user": {
                "id": 6_660_001,
                "idstr": "6660001",
                "screen_name": "科技博主老周",
                "followers_count": 254_000,
                "verified": True,
                "description": "数码评测",
            },
        },
        {"id": "broken", "text": ""},
    ]
}


def test_brand_post_without_at_becomes_a_public_sla_conversation_with_its_reach(
    live_server_url, new_context, login, screenshot, tmp_path
):
    export = tmp_path / "weibo-export.json"
    export.write_text(json.dumps(EXPORT, ensure_ascii=False), encoding="utf-8")
    page = new_context().new_page()
    login(page, "banzhang", "dabai-supervisor")
    page.goto(f"{live_server_url}/listening/")
    upload = page.get_by_test_id("listening-upload")
    upload.locator("select[name=kind]").select_option("weibo")
    upload.locator("input[type=file]").set_input_files(str(export))
    upload.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".flash")).to_contain_text("item 2")  # the broken item is reported, not fatal
    row = page.get_by_test_id("mention-row").filter(has_text="科技博主老周")
    expect(row.get_by_test_id("reach")).to_contain_text("254000")
    expect(row.get_by_test_id("reach")).to_contain_text("431")
    screenshot(page, "mentions")

    row.get_by_test_id("mention-conversation").click()
    page.wait_for_load_state("networkidle")
    expect(page).to_have_url(re.compile(r"/inbox/\d+/"))
    thread = page.get_by_test_id("thread")
    expect(thread).to_contain_text("大白宽带又断网了")
    expect(thread).to_contain_text("254,000")  # the reach note beside the post
    expect(thread).to_contain_text("/listening/mentions/")
    screenshot(page, "conversation")


def test_campaign_creation_to_results(live_server_url, new_context, login, screenshot):
    page = new_context().new_page()
    login(page, "banzhang", "dabai-supervisor")
    page.goto(f"{live_server_url}/outreach/campaigns/")
    page.get_by_test_id("new-campaign").click()
    form = page.get_by_test_id("campaign-form")
    form.locator("input[name=name]").fill("宽带维护通知")
    form.locator("select[name=kind]").select_option("transactional")
    form.locator("input[name=tags]").fill("朝阳区")
    form.locator("textarea[name=sms_text]").fill("{name}您好，本周六凌晨宽带例行维护，届时可能短暂断网。")
    page.get_by_test_id("save-campaign").click()
    page.wait_for_load_state("networkidle")
    preview = page.get_by_test_id("campaign-preview")
    expect(preview).to_contain_text("本周六凌晨宽带例行维护")
    expect(preview).not_to_contain_text("{name}")
    screenshot(page, "preview")

    page.get_by_test_id("schedule-campaign").click()
    page.wait_for_load_state("networkidle")
    results = page.get_by_test_id("campaign-results")
    for _ in range(60):  # the worker resolves the segment, then hands each message to the SMS adapter
        status = page.get_by_test_id("campaign-status").inner_text()
        if status not in ("Scheduled", "Sending", "已安排", "发送中", "Draft", "草稿"):
            break
        time.sleep(0.5)
        page.reload()
    recipients = int(results.locator("div").first.locator("strong").inner_text())
    assert recipients > 0
    # The demo has no SMS gateway: each message's delivery is recorded as failed, never lost or doubled.
    for _ in range(60):
        failed = int(results.locator("div").nth(3).locator("strong").inner_text())
        if failed == recipients:
            break
        time.sleep(0.5)
        page.reload()
    assert failed == recipients
    screenshot(page, "results")
