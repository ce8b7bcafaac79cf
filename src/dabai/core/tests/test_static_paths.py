"""Static files under hostile paths: a 404, never a 500 (the ASGI entry point serves /static/ itself)."""

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator

from dabai.config.asgi import application


async def status_of(path: str, raw_path: bytes) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": raw_path,
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await communicator.receive_output(timeout=10)
    await communicator.wait(timeout=10)
    return start["status"]


@pytest.mark.parametrize(
    ("path", "raw_path"),
    [
        ("/static/../../etc/passwd", b"/static/%2e%2e/%2e%2e/etc/passwd"),
        ("/static/..%2f..%2fetc/passwd", b"/static/..%252f..%252fetc/passwd"),
        ("/static//etc/passwd", b"/static//etc/passwd"),
        ("/static/a\x00b.css", b"/static/a%00b.css"),
        ("/static/no-such-file.css", b"/static/no-such-file.css"),
    ],
)
def test_traversal_and_odd_static_paths_are_not_found(path, raw_path):
    assert async_to_sync(status_of)(path, raw_path) == 404
