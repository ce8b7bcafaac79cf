"""What every programme view shares: who may do what, and the public doors' rate limit."""

import time

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from dabai.accounts.models import User
from dabai.accounts.permissions import is_supervisor, is_voc_reader
from dabai.programs import conf, selectors
from dabai.programs.models import Registration, Session

READ_FACTOR = 10  # pages that only show (and the Q&A's polling) may be asked ten times as often as writes


def require_organiser(user: User) -> None:
    """Organisers are the centre's supervisors (and admins)."""
    if not (is_supervisor(user) and user.is_active):
        raise PermissionDenied


def require_participant(user: User) -> None:
    """Staff who take part: department members and supervisors (the voice-of-the-customer readers)."""
    if not is_voc_reader(user):
        raise PermissionDenied


def organised_session(user: User, pk: int) -> Session:
    require_organiser(user)
    found = selectors.session(pk)
    if found is None:
        raise Http404
    return found


def registration_by_token(token: str) -> Registration:
    found = selectors.by_token(token)
    if found is None:
        raise Http404
    return found


def throttle(request: HttpRequest, bucket: str, *, write: bool) -> int:
    """Count one public request from this address: 0 when allowed, else the seconds to wait."""
    window = max(1, conf.public_window_seconds())
    limit = conf.public_requests() * (1 if write else READ_FACTOR)
    now = time.time()
    slot = int(now // window)
    key = f"dabai:programs:{bucket}:{request.META.get('REMOTE_ADDR') or '-'}:{slot}"
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=window + 5)
        count = 1
    return 0 if count <= limit else max(1, int((slot + 1) * window - now + 0.999))


def too_many(request: HttpRequest, wait: int) -> HttpResponse:
    response = render(
        request,
        "programs/public/throttled.html",
        {"message": _("Too many requests from your network. Please try again in a few minutes.")},
        status=429,
    )
    response["Retry-After"] = str(wait)
    return response
