"""API test helpers: tokens with chosen scopes and a client that sends them."""

import json

import pytest
from django.test import Client

from dabai.api import services


class ApiClient:
    """A test client that speaks JSON with a bearer token."""

    def __init__(self, token: str = "") -> None:
        self.client = Client()
        self.token = token

    def _headers(self, headers: dict | None) -> dict:
        out = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}
        for name, value in (headers or {}).items():
            out["HTTP_" + name.upper().replace("-", "_")] = value
        return out

    def get(self, path: str, params: dict | None = None, headers: dict | None = None):
        return self.client.get(path, params or {}, **self._headers(headers))

    def post(self, path: str, data=None, headers: dict | None = None, raw: bytes | None = None):
        body = raw if raw is not None else json.dumps(data if data is not None else {})
        return self.client.post(path, body, content_type="application/json", **self._headers(headers))


@pytest.fixture
def make_token(db, admin_user):
    """``make_token(scopes, **options)`` → (ApiToken, plaintext)."""
    counter = iter(range(1, 1000))

    def make(scopes, name: str | None = None, **options):
        return services.create_token(
            name or f"token {next(counter)}", list(scopes), actor=admin_user, **options
        )

    return make


@pytest.fixture
def api_for(make_token):
    """``api_for(*scopes)`` → an ApiClient with a fresh token holding those scopes (``.api_token`` on it)."""

    def make(*scopes, **options) -> ApiClient:
        token, plaintext = make_token(scopes, **options)
        client = ApiClient(plaintext)
        client.api_token = token
        return client

    return make
