"""The Content Security Policy holds on the main pages: nothing the pages, htmx or the widget do is refused.

Chromium reports each refused script, style or connection as a console error naming the Content Security
Policy; the pages are visited the way people use them (signed in per role, htmx panels loaded, the language
switched, the widget opened and used) and no such error may appear.
"""

import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

# Also report violations that Chromium might not log (e.g. in report-only mode) as console errors.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("Content Security Policy violation: " + e.violatedDirective + " " + e.blockedURI);
});
"""


def watch(page: Page) -> list[str]:
    errors: list[str] = []
    page.add_init_script(REPORT_VIOLATIONS)
    page.on(
        "console",
        lambda message: (
            errors.append(f"{page.url}: {message.text}")
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    return errors


def visit(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.ok, url
    page.wait_for_load_state("networkidle")


def test_pages_send_a_policy_without_inline_exceptions(live_server_url, new_context):
    page = new_context().new_page()
    response = page.goto(f"{live_server_url}/accounts/login/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy  # plus this response's nonce where a page uses one
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy


def test_staff_pages_cause_no_policy_violation(live_server_url, new_context, login, screenshot):
    page = new_context().new_page()
    errors = watch(page)
    login(page, "banzhang", "dabai-supervisor")
    for path in ("/inbox/", "/routing/", "/routing/reports/", "/routing/complaints/", "/kb/", "/voc/cases/"):
        visit(page, f"{live_server_url}{path}")
    visit(page, f"{live_server_url}/inbox/")
    page.locator("[data-testid=inbox-list] tbody tr[data-conversation] a").first.click()
    expect(page).to_have_url(re.compile(r"/inbox/\d+/$"))
    expect(page.locator(".live-dot.on")).to_be_visible()  # the WebSocket connected under connect-src
    expect(page.get_by_test_id("knowledge-suggestions")).to_be_visible()
    page.wait_for_load_state("networkidle")
    insert = page.locator("[data-knowledge-insert]").first
    if insert.count():
        insert.click()  # the suggestions' script came from a static file through htmx
        expect(page.get_by_test_id("reply-body")).not_to_have_value("")
    # The language switch submits itself without an inline handler.
    page.get_by_test_id("language").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_test_id("language").select_option("zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    screenshot(page, "desk-under-csp")
    assert errors == []


def test_admin_and_help_centre_and_portal_cause_no_policy_violation(live_server_url, new_context, login):
    page = new_context().new_page()
    errors = watch(page)
    visit(page, f"{live_server_url}/help/")
    page.locator("input[type=search]").first.fill("发票")
    page.wait_for_load_state("networkidle")
    visit(page, f"{live_server_url}/portal/sign-in/")
    login(page, "admin", "dabai-admin")
    visit(page, f"{live_server_url}/admin/")
    visit(page, f"{live_server_url}/admin/accounts/user/")
    visit(page, f"{live_server_url}/admin/axes/accessattempt/")
    assert errors == []


def test_chat_widget_causes_no_policy_violation_on_our_page(live_server_url, new_context):
    page = new_context().new_page()
    errors = watch(page)
    visit(page, f"{live_server_url}/channels/chat/demo/")
    page.get_by_test_id("chat-open").click()
    page.get_by_test_id("chat-input").fill("你好，请问发票怎么开？")
    page.get_by_test_id("chat-send").click()
    expect(page.locator("[data-testid=chat-messages] li[data-acked='1']")).to_be_visible()
    assert errors == []


def test_chat_widget_needs_only_our_origin_in_the_embedding_sites_policy(live_server_url, new_context):
    """A shop on another origin with a strict policy of its own: allowing our origin is enough."""
    ours = live_server_url
    socket = ours.replace("http", "ws")
    policy = (
        f"default-src 'self'; script-src 'self' {ours}; connect-src 'self' {ours} {socket}; "
        "style-src 'self'; img-src 'self'"
    )
    page_html = (
        "<!DOCTYPE html><html><body><h1>Shop</h1>"
        f'<script src="{ours}/channels/chat/widget.js" async></script></body></html>'
    ).encode()

    class Shop(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Security-Policy", policy)
            self.end_headers()
            self.wfile.write(page_html)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Shop)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        page = new_context().new_page()
        errors = watch(page)
        page.goto(f"http://localhost:{server.server_address[1]}/")  # another origin than 127.0.0.1:port
        expect(page.get_by_test_id("chat-open")).to_be_visible()
        page.get_by_test_id("chat-open").click()
        expect(page.get_by_test_id("chat-panel")).to_be_visible()
        page.wait_for_load_state("networkidle")
    finally:
        server.shutdown()
    assert errors == []
