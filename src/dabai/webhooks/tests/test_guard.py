"""The SSRF guard and the delivery's limits: no private addresses (unless the admin allows them), no
redirects followed, only a snippet of the answer read."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from werkzeug import Response

from dabai.webhooks import guard, services
from dabai.webhooks.guard import UnsafeUrl, check_url
from dabai.webhooks.sending import SNIPPET_BYTES, post, retry_after

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8000/hook",
        "http://10.1.2.3/hook",
        "http://192.168.1.1/hook",
        "http://172.16.0.9/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "file:///etc/passwd",
        "gopher://example.com/",
        "http://user:pw@example.com/",
        "http:///nohost",
    ],
)
def test_unsafe_urls_are_refused(url):
    with pytest.raises(UnsafeUrl):
        check_url(url, allow_private=False)


def test_a_name_that_resolves_to_a_private_address_is_refused(monkeypatch):
    monkeypatch.setattr(guard, "resolve", lambda host, port: {"93.184.216.34", "10.0.0.5"})
    with pytest.raises(UnsafeUrl, match=r"10\.0\.0\.5"):
        check_url("https://hooks.example.com/x", allow_private=False)
    monkeypatch.setattr(guard, "resolve", lambda host, port: {"93.184.216.34"})
    check_url("https://hooks.example.com/x", allow_private=False)


def test_the_admin_setting_allows_private_addresses(admin_user):
    with pytest.raises(services.InvalidEndpoint):
        services.create_endpoint("local", "http://127.0.0.1:9/hook", [], actor=admin_user)
    services.set_policy(allow_private_addresses=True, actor=admin_user)
    assert services.create_endpoint("local", "http://127.0.0.1:9/hook", [], actor=admin_user).pk


def test_delivery_time_checks_again_and_refuses_without_sending(httpserver):
    httpserver.expect_request("/hook").respond_with_data("ok")
    outcome = post(httpserver.url_for("/hook"), b"{}", {}, allow_private=False)
    assert outcome.status_code is None and outcome.error.startswith("refused")
    assert httpserver.log == []


def test_redirects_are_not_followed(httpserver):
    httpserver.expect_request("/hook").respond_with_response(
        Response(status=302, headers={"Location": "/else"})
    )
    httpserver.expect_request("/else").respond_with_data("reached")
    outcome = post(httpserver.url_for("/hook"), b"{}", {}, allow_private=True)
    assert outcome.status_code == 302 and not outcome.delivered
    assert [entry[0].path for entry in httpserver.log] == ["/hook"]


def test_only_a_snippet_of_the_answer_is_read(httpserver):
    httpserver.expect_request("/hook").respond_with_data("x" * 1_000_000)
    outcome = post(httpserver.url_for("/hook"), b"{}", {}, allow_private=True)
    assert outcome.delivered and len(outcome.snippet) == SNIPPET_BYTES


def test_retry_after_in_seconds_or_as_a_date():
    assert retry_after("120") == 120
    assert retry_after("999999999") == 24 * 3600
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0
    assert retry_after("soon") is None and retry_after(None) is None


def test_the_checked_address_is_the_one_connected_to_so_a_rebinding_name_cannot_turn_private(
    httpserver, monkeypatch
):
    """DNS rebinding: the name is looked up once, by the guard; the connection goes to that address with the
    original Host header. (The name below exists nowhere: a second lookup by the HTTP client would fail.)"""
    lookups = []

    def resolve(host, port):
        lookups.append(host)
        return {"127.0.0.1"} if len(lookups) == 1 else {"10.0.0.5"}

    monkeypatch.setattr(guard, "resolve", resolve)
    httpserver.expect_request("/hook").respond_with_data("ok")
    url = f"http://hooks.rebinding.invalid:{httpserver.port}/hook"
    outcome = post(url, b"{}", {"content-type": "application/json"}, allow_private=True)
    assert outcome.status_code == 200, outcome.error
    assert lookups == ["hooks.rebinding.invalid"]
    (request, _response) = httpserver.log[0]
    assert request.headers["Host"] == f"hooks.rebinding.invalid:{httpserver.port}"


def test_https_keeps_the_host_name_for_the_certificate_check():
    url, headers, extensions = guard.pinned("https://hooks.example.com/x?a=1", "93.184.216.34")
    assert url == "https://93.184.216.34/x?a=1"
    assert headers == {"Host": "hooks.example.com"}
    assert extensions == {"sni_hostname": "hooks.example.com"}
    assert guard.pinned("http://h.example:8080/", "2001:db8::1")[0] == "http://[2001:db8::1]:8080/"


@pytest.fixture
def keep_alive_receiver():
    """A loopback HTTP/1.1 receiver that keeps connections open and notes each POST's client port."""
    ports: list[tuple[str, int]] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            ports.append((self.headers["Host"].split(":")[0], self.client_address[1]))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], ports
    server.shutdown()


def test_deliveries_to_one_receiver_reuse_its_connection_and_other_hosts_get_their_own(keep_alive_receiver):
    port, ports = keep_alive_receiver
    for _ in range(3):
        assert post(f"http://127.0.0.1:{port}/hook", b"{}", {}, allow_private=True).delivered
    assert post(f"http://localhost:{port}/hook", b"{}", {}, allow_private=True).delivered
    same_host = {p for host, p in ports if host == "127.0.0.1"}
    other_host = {p for host, p in ports if host == "localhost"}
    assert len(same_host) == 1, "three events, one connection"
    assert other_host and not other_host & same_host, "a connection for one host never carries another's"
