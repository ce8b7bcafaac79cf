"""Sign-in throttling: django-axes refuses sign-ins while an account or an address is locked out."""

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class SignInThrottleBackend(AxesStandaloneBackend):
    """First in ``AUTHENTICATION_BACKENDS``: refuses locked-out sign-ins, signs nobody in itself.

    Every sign-in through a page (ours and the admin's) carries its request, so it is throttled per account
    and per address. A call without a request (the test client's ``login``, a management command) has no
    address to count and is left to the next backend, where axes itself would raise.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
