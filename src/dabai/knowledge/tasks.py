"""Background work of the knowledge app: the bot reads each inbound chat/WeChat message after the filter."""

import logging
from collections import Counter

from django_tasks import task

from dabai.conversations.live import gathered_events
from dabai.core import pressure
from dabai.core.memo import batch_memo
from dabai.core.tasking import retry_later

logger = logging.getLogger(__name__)


@task()
def bot_respond(message_id: int, attempt: int = 0) -> str:
    """Let the bot answer or hand over; retried with back-off (a retried run never answers twice)."""
    return _respond(message_id, attempt)


@task()
def bot_respond_all(message_ids: list[int]) -> dict[str, int]:
    """The bot's turn for every message of one drained batch, in one job, in the order they arrived.

    One job instead of one per message: each enqueue is a trip to the queue (a Redis connection, a few
    milliseconds) paid by the drain after every batch. Each message is answered exactly as ``bot_respond``
    answers it; one that fails starts its own retry chain (``bot_respond`` with back-off) and the others
    are still answered. Each answer's live events (the reply, the note for the agent) leave together once
    it is done. Returns how many messages ended how (``answer``, ``hand_over``, ``silent``, ...).
    """
    from dabai.knowledge.bot import reading_ahead

    outcomes: Counter[str] = Counter()
    # The policy, the bot's account, calendars and wait figures, and the messages with their insights and
    # histories: read once per batch.
    with batch_memo(), reading_ahead(message_ids):
        for message_id in message_ids:
            pressure.make_way()  # a batch's answers take seconds: the doors come first between them
            outcome = _respond_in_batch(message_id)
            outcomes[outcome.split(":", 1)[0]] += 1
    return dict(outcomes)


def _respond_in_batch(message_id: int) -> str:
    """One message of a batch; a failure is retried on its own (``_respond``) and never stops the others."""
    try:
        with gathered_events():  # the reply and the agent's note: one trip to the desk, not one each
            return _respond(message_id, 0)
    except Exception:
        return "failed"


def _respond(message_id: int, attempt: int) -> str:
    from dabai.knowledge.bot import fetch_message, respond

    message = fetch_message(message_id)
    if message is None:
        return "missing"
    try:
        event = respond(message)
    except Exception:
        logger.exception("bot failed on message %s (attempt %d)", message_id, attempt)
        if not retry_later(bot_respond, attempt, message_id):
            logger.error("bot gave up on message %s", message_id)
        raise
    return f"{event.action}:{event.reason}" if event else "silent"
