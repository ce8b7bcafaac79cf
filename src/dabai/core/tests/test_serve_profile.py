"""``DABAI_PROFILE_DIR`` profiles the web process too: ``dabai serve`` writes ``web-<pid>.prof`` as it
stops."""

import os
import pstats
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_listening(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "dabai serve exited"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("dabai serve did not listen")


def test_a_profiled_web_process_writes_its_profile_when_stopped(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "DABAI_DEV": "1", "DABAI_PROFILE_DIR": str(tmp_path), "DABAI_ACCESS_LOG": "0"}
    server = subprocess.Popen(
        [sys.executable, "-m", "dabai.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_listening(port, server)
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0, "a profiled server stops cleanly on SIGTERM"
    finally:
        if server.poll() is None:
            server.kill()
    (profile,) = tmp_path.glob("web-*.prof")
    assert any("uvicorn" in filename for filename, _, _ in pstats.Stats(str(profile)).stats)
