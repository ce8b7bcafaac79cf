"""What the floor announces to the apps (each listens in its ``receivers.py``; core imports none of them),
and the one way a listener keeps its own failure to itself."""

import functools
import logging
from collections.abc import Callable

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

# ``dabai worker`` is starting (not ``--batch``): each app starts the periodic task chains it owns.
worker_started = Signal()


def contained(app: str, consequence: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Run a receiver in its own savepoint and log its failure: a listener's bug never undoes the change it
    heard about (a stored message, a status change).  *consequence* says in the log what is lost."""

    def decorate(handler: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(handler)
        def run(*args, **kwargs) -> None:
            try:
                with transaction.atomic():
                    handler(*args, **kwargs)
            except Exception:
                logger.exception("%s: %s failed; %s", app, handler.__name__, consequence)

        return run

    return decorate
