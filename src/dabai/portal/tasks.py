"""Background work of the portal: sending one-time sign-in codes, with retries, outside the request."""

import logging

from django_tasks import task

from dabai.core.tasking import retry_later
from dabai.portal import services

logger = logging.getLogger(__name__)


@task()
def send_sign_in_code(kind: str, address: str) -> str:
    """Find the customer behind the address and send them a code; nothing for an unknown address."""
    code = services.issue_code(kind, address)
    if code is None:
        return "not sent"
    return deliver_sign_in_code.call(code.pk)


@task()
def deliver_sign_in_code(code_id: int, attempt: int = 0) -> str:
    """One delivery attempt; retried with back-off, given up (and no longer counted) after the last one."""
    try:
        return "sent" if services.deliver_code(code_id) else "gone"
    except services.CannotDeliver as reason:
        logger.warning("sign-in code %s cannot be delivered: %s", code_id, reason)
        services.give_up_code(code_id)
        return "undeliverable"
    except Exception:
        logger.exception("sending sign-in code %s failed (attempt %d)", code_id, attempt)
        if retry_later(deliver_sign_in_code, attempt, code_id):
            return "retrying"
        logger.error("gave up sending sign-in code %s", code_id)
        services.give_up_code(code_id)
        return "given up"
