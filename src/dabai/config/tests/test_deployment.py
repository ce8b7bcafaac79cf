"""Start-up refuses unsafe production settings, and the documented production settings pass `check --deploy`.

Each test starts the real `dabai` command in a subprocess with its own environment, as an operator would.
"""

import os
import subprocess
import sys

import pytest

DEVELOPMENT_KEY = "dabai-development-only-key-do-not-use-in-production"
# The production settings documented in README.md ("Running in production").
DOCUMENTED_PRODUCTION_ENV = {
    "DABAI_DEV": "0",
    "SECRET_KEY": "x7Kq2vN9rT4mW8pL3sJ6hB1cF5gD0zYaE7uQ2iO9nV4kM8wR3tX6yP1lS5jH0bG",
    "ALLOWED_HOSTS": "kefu.example.cn",
    "CSRF_TRUSTED_ORIGINS": "https://kefu.example.cn",
    "SECURE_COOKIES": "1",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
}
SETTINGS_VARIABLES = {
    "SECRET_KEY",
    "DABAI_DEV",
    "DEBUG",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SECURE_COOKIES",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "DABAI_CSP",
    "DABAI_CSP_REPORT_URI",
    "DATABASE_URL",
    "REDIS_URL",
    # Set by the browser tests' conftest when the whole tree is collected; an operator never sets it.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def run_dabai(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    environment.update(DABAI_VAR_DIR=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, "-m", "dabai.cli", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = run_dabai(tmp_path, "check")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "DABAI_DEV=1" in result.stderr
    assert "Traceback" not in result.stderr  # one clear line, not a stack dump


@pytest.mark.parametrize("debug", ["0", "1"])
def test_the_public_development_key_is_refused_outside_development(tmp_path, debug):
    result = run_dabai(tmp_path, "check", SECRET_KEY=DEVELOPMENT_KEY, DEBUG=debug)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_development_mode_must_be_switched_on_explicitly(tmp_path):
    result = run_dabai(tmp_path, "check", DABAI_DEV="1")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_documented_production_settings_pass_the_deployment_check(tmp_path):
    result = run_dabai(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **DOCUMENTED_PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_documented_production_settings_are_in_the_readme():
    readme = (
        __import__("pathlib").Path(__file__).resolve().parents[4].joinpath("README.md").read_text("utf-8")
    )
    for name, value in DOCUMENTED_PRODUCTION_ENV.items():
        if name != "SECRET_KEY":
            assert f"{name}={value}" in readme, name
