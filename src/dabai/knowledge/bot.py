"""The bot: answers chat and WeChat questions from the knowledge base, and knows when to step aside.

It speaks only while no person has answered the conversation. It hands over (leaving the conversation
open for an agent, with a note carrying the question, what it tried and why it stopped) when the customer
asks for a person (转人工, 人工, human), when the filter reads anger or escalation risk, when its best
article covers too little of the question, or when the customer says its answer did not help. Every answer
and every hand-over is a ``BotEvent`` with its reason.

The customer is never left guessing (issue 15): every hand-over tells them at once where they stand in the
queue and how long the wait is, or, out of opening hours, when a person will answer, with an offer to leave a
phone number or email (noted on the conversation for the agent). "转人工" always gets an answer, even after
the hand-over.
"""

import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dabai.accounts.models import Role, User
from dabai.conversations.models import Conversation, Direction, Insight, Message
from dabai.conversations.services import add_note, assign, post_reply
from dabai.core.memo import per_batch
from dabai.knowledge import handover, instant
from dabai.knowledge import search as search_index
from dabai.knowledge.links import short_url
from dabai.knowledge.models import Article, BotEvent, BotPolicy, SearchEntry
from dabai.knowledge.services import log_search, record_feedback, record_view, topic_of
from dabai.knowledge.text import fold
from dabai.replies import labels

logger = logging.getLogger(__name__)

BOT_USERNAME = "dabai-bot"
HUMAN_REQUEST = re.compile(r"转人工|人工|真人|客服人员|找客服|\bhuman\b|\bagent\b|\bperson\b", re.IGNORECASE)
YES = re.compile(
    r"^(是|是的|有用|有帮助|解决了|好的|好了|可以了|谢谢|明白了|懂了|yes|y|ok|thanks?)[!！。.~～]*$", re.I
)
NO = re.compile(r"^(否|不是|没有|没用|没帮助|没解决|不行|不对|no|n|nope)[!！。.~～]*$", re.I)
ANGER = {"anger", "angry"}
# The bot only answers messages younger than this; older ones wait for a person.
FRESH_FOR = timedelta(minutes=10)


@per_batch()
def bot_user() -> User:
    """The account the bot writes as; it has no desk profile, so routing never gives it work."""
    user, created = User.objects.get_or_create(
        username=BOT_USERNAME, defaults={"role": Role.AGENT, "display_name": "大白助手", "is_automated": True}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@per_batch()
def policy() -> BotPolicy:
    return BotPolicy.objects.order_by("pk").first() or BotPolicy.objects.create()


@dataclass(frozen=True)
class History:
    """What the bot has done in a conversation (its events, oldest first), read in one query per message.

    Every step of an answer asks it something: whether this message was handled already (a retried job),
    whether the bot handed over, what it did last, which articles it sent (the agent's note). Asked of the
    database one at a time that was five of a hand-over's ~35 queries; a conversation holds a handful of
    bot events, so reading them all costs one.
    """

    events: tuple[BotEvent, ...]

    @classmethod
    def of(cls, conversation: Conversation) -> "History":
        events = conversation.bot_events.select_related("article", "message").order_by("created_at", "id")
        return cls(tuple(events))

    def handled(self, message: Message) -> bool:
        return any(e.message_id == message.pk for e in self.events)

    @property
    def last(self) -> BotEvent | None:
        return self.events[-1] if self.events else None

    @property
    def last_hand_over(self) -> BotEvent | None:
        return next((e for e in reversed(self.events) if e.action == BotEvent.Action.HAND_OVER), None)

    @property
    def articles_sent(self) -> list[BotEvent]:
        """The answers that sent an article, newest first."""
        answers = [e for e in self.events if e.action == BotEvent.Action.ANSWER and e.article is not None]
        return answers[::-1]


@dataclass(frozen=True)
class BatchReads:
    """What the bot reads of each message of a batch job (the message with its conversation, its insight,
    the conversation's history), read for the whole batch in three queries instead of three a message.

    Only for messages alone in the batch in their conversation: the second of two must see what the bot did
    with the first, so it is read afresh, as outside a batch. What is read here is as old as the batch's
    start (a second or two): the reads that decide whether the bot may still speak (a person's answer) are
    still made per message.
    """

    messages: dict[int, Message]
    insights: dict[int, Insight]
    histories: dict[int, History]

    @classmethod
    def of(cls, message_ids: Iterable[int]) -> "BatchReads":
        found = Message.objects.select_related("conversation").in_bulk(list(message_ids))
        in_conversation = Counter(m.conversation_id for m in found.values())
        alone = {pk: m for pk, m in found.items() if in_conversation[m.conversation_id] == 1}
        events: dict[int, list[BotEvent]] = {m.conversation_id: [] for m in alone.values()}
        for event in (
            BotEvent.objects.filter(conversation_id__in=list(events))
            .select_related("article", "message")
            .order_by("created_at", "id")
        ):
            events[event.conversation_id].append(event)
        return cls(
            alone,
            Insight.objects.in_bulk(list(alone), field_name="message_id"),
            {pk: History(tuple(mine)) for pk, mine in events.items()},
        )

    def covers(self, message: Message) -> bool:
        return self.messages.get(message.pk) is message


_batch: ContextVar[BatchReads | None] = ContextVar("dabai_bot_batch", default=None)


@contextmanager
def reading_ahead(message_ids: Iterable[int]) -> Iterator[None]:
    """Within the block, the bot reads these messages from one ``BatchReads`` (``bot_respond_all``). If the
    batch's reads fail, each message is read on its own, as before, and fails (and is retried) on its own."""
    try:
        reads = BatchReads.of(message_ids)
    except Exception:
        logger.warning("the bot could not read its batch ahead; reading each message", exc_info=True)
        reads = None
    token = _batch.set(reads)
    try:
        yield
    finally:
        _batch.reset(token)


def fetch_message(message_id: int) -> Message | None:
    """The message with its conversation: from the batch's reads when they cover it, else the database."""
    reads = _batch.get()
    found = reads.messages.get(message_id) if reads else None
    return found or Message.objects.select_related("conversation").filter(pk=message_id).first()


def _read_for(message: Message) -> tuple[History, Insight | None]:
    """The conversation's history and the message's insight, from the batch's reads when they cover it."""
    reads = _batch.get()
    if reads is not None and reads.covers(message):
        return reads.histories[message.conversation_id], reads.insights.get(message.pk)
    return History.of(message.conversation), Insight.objects.filter(message=message).first()


def is_active_in(
    conversation: Conversation, bot: User, current: BotPolicy, history: History | None = None
) -> bool:
    """The bot speaks on its channels until a person answers or it has handed over."""
    if not current.enabled or conversation.channel not in current.channel_list():
        return False
    if history is not None:
        if history.last_hand_over is not None:
            return False
    elif conversation.bot_events.filter(action=BotEvent.Action.HAND_OVER).exists():
        return False
    return not conversation.messages.filter(direction=Direction.OUTBOUND).exclude(author=bot).exists()


def _language(text: str) -> str:
    return "en" if text.isascii() else "zh-hans"


def _say(conversation: Conversation, bot: User, body: str) -> Message:
    """Reply as the bot without keeping the conversation: post_reply assigns unassigned ones to the author."""
    message = post_reply(conversation, bot, body)
    if conversation.assignee_id == bot.pk:
        assign(conversation, None, actor=bot)
    return message


def _context_note(
    message: Message,
    reason: str,
    insight: Insight | None,
    found: search_index.Search | None,
    history: History,
) -> str:
    sent = history.articles_sent
    tried = [f"- {e.article.title} ({e.confidence:.0%})" for e in sent]
    lines = [
        _("Handed over by the bot: %(reason)s.") % {"reason": BotEvent.Reason(reason).label},
        _("Customer's last message: %(text)s") % {"text": message.body[:500]},
    ]
    answered = sent[0] if sent else None
    if reason == BotEvent.Reason.NOT_HELPFUL and answered is not None:
        if answered.message is not None:
            lines.append(_("Their question: %(text)s") % {"text": answered.message.body[:500]})
        lines.append(
            _("Article shown, which did not solve it: %(title)s %(link)s")
            % {"title": answered.article.title, "link": short_url(answered.article)}
        )
    if insight is not None:
        lines.append(
            _("Filter: sentiment %(sentiment)s, urgency %(urgency)s, escalation risk %(risk)s.")
            % {
                "sentiment": labels.SENTIMENT.get(insight.sentiment, insight.sentiment),
                "urgency": labels.URGENCY.get(insight.urgency, insight.urgency),
                "risk": _("yes") if insight.escalation_risk else _("no"),
            }
        )
    if found is not None and found.hits:
        lines.append(
            _("Best article found: confidence %(confidence)s.") % {"confidence": f"{found.confidence:.0%}"}
        )
    if tried:
        lines.append(_("Articles the bot already sent:"))
        lines.extend(tried)
    return "\n".join(lines)


def hand_over(
    message: Message,
    reason: str,
    *,
    insight: Insight | None = None,
    found: search_index.Search | None = None,
    history: History | None = None,
) -> BotEvent:
    """Step aside, tell the customer at once where they stand, and leave the agent a note with the context.

    Whatever the reason (they asked, the answer did not help, the bot could not answer, they are angry), the
    customer reads within seconds how many wait before them and for how long, or, out of hours, when a
    person answers and that they may leave a contact.
    """
    conversation, bot = message.conversation, bot_user()
    wait = handover.wait_for(conversation)
    with transaction.atomic():
        with translation.override(_language(message.body)):
            told = _say(conversation, bot, handover.queue_text(conversation, wait))
        note = _context_note(message, reason, insight, found, history or History.of(conversation))
        note += "\n" + _queue_line(wait)
        add_note(conversation, bot, note)
        event = BotEvent.objects.create(
            conversation=conversation,
            message=message,
            action=BotEvent.Action.HAND_OVER,
            reason=reason,
            confidence=found.confidence if found else 0,
            topic=topic_of(found.terms) if found else "",
            reply=told,
            out_of_hours=wait.out_of_hours,
        )
    logger.info("bot handed over conversation %s: %s", conversation.pk, reason)
    return event


def _queue_line(wait: handover.Wait) -> str:
    """What the agent reads about what the customer was told."""
    if wait.out_of_hours:
        return _("Out of hours: the customer was told when we open and offered to leave a contact.")
    return _("The customer was told: %(ahead)d ahead, about %(minutes)d minutes.") % {
        "ahead": wait.ahead,
        "minutes": wait.minutes,
    }


def _person_answered(conversation: Conversation, bot: User) -> bool:
    return conversation.messages.filter(direction=Direction.OUTBOUND).exclude(author=bot).exists()


def after_hand_over(message: Message, bot: User, history: History) -> BotEvent | None:
    """Once a person has the conversation the bot stays quiet, with two exceptions.

    "转人工" always gets an answer (where they stand now, or that a person is already on it), and a phone
    number or email left after an out-of-hours hand-over is noted for the agent and acknowledged.
    """
    conversation = message.conversation
    language = _language(message.body)
    if HUMAN_REQUEST.search(fold(message.body)):
        wait = None if _person_answered(conversation, bot) else handover.wait_for(conversation)
        with translation.override(language):
            if wait is None:
                text = _("A colleague is already looking after you and will reply here.")
            else:
                text = handover.queue_text(conversation, wait)
            told = _say(conversation, bot, text)
        return BotEvent.objects.create(
            conversation=conversation,
            message=message,
            action=BotEvent.Action.QUEUE_UPDATE,
            reason=BotEvent.Reason.ASKED_FOR_HUMAN,
            reply=told,
            out_of_hours=wait is not None and wait.out_of_hours,
        )
    last = history.last_hand_over
    contact = handover.contact_in(message.body)
    if last is None or not last.out_of_hours or not contact or _person_answered(conversation, bot):
        return None
    with transaction.atomic():
        add_note(
            conversation,
            bot,
            _("Contact left out of hours, please get back to the customer: %(contact)s")
            % {"contact": contact.plain()},
        )
        with translation.override(language):
            told = _say(
                conversation,
                bot,
                _("Thank you, we noted %(contact)s; a colleague will contact you as soon as we open.")
                % {"contact": contact.masked()},
            )
        return BotEvent.objects.create(
            conversation=conversation,
            message=message,
            action=BotEvent.Action.CONTACT,
            reason=BotEvent.Reason.CONTACT_LEFT,
            reply=told,
        )


def _answer_text(article: Article, language: str) -> str:
    with translation.override(language):
        ask = _('Did this answer your question? Reply "yes" or "no", or "human" to talk to a person.')
    summary = article.summary or article.body[:150]
    return f"{article.title}\n{summary}\n{short_url(article)}\n{ask}"


def answer(message: Message, found: search_index.Search, article: Article) -> BotEvent:
    conversation, bot = message.conversation, bot_user()
    with transaction.atomic():
        told = _say(conversation, bot, _answer_text(article, _language(message.body)))
        event = BotEvent.objects.create(
            conversation=conversation,
            message=message,
            action=BotEvent.Action.ANSWER,
            reason=BotEvent.Reason.CONFIDENT,
            confidence=found.confidence,
            article=article,
            topic=topic_of(found.terms),
            reply=told,
        )
        record_view(article)
    logger.info(
        "bot answered conversation %s with article %s (%.2f)", conversation.pk, article.pk, found.confidence
    )
    return event


def answer_instantly(message: Message, known: instant.InstantAnswer) -> BotEvent:
    """Say what another app knows applies now (an ongoing outage), before any search or hand-over."""
    conversation = message.conversation
    with transaction.atomic():
        told = _say(conversation, bot_user(), known.text)
        event = BotEvent.objects.create(
            conversation=conversation,
            message=message,
            action=BotEvent.Action.ANSWER,
            reason=BotEvent.Reason.INSTANT,
            confidence=1,
            topic=known.topic[:100],
            reply=told,
        )
    logger.info("bot answered conversation %s instantly (%s)", conversation.pk, known.topic)
    return event


def greet(message: Message) -> BotEvent:
    """ "你好" alone is no question: invite one instead of handing over."""
    with translation.override(_language(message.body)):
        _say(
            message.conversation,
            bot_user(),
            _('Hello, I am Dabai. What can I help you with? Reply "human" to talk to a person.'),
        )
    return BotEvent.objects.create(
        conversation=message.conversation,
        message=message,
        action=BotEvent.Action.ANSWER,
        reason=BotEvent.Reason.GREETING,
    )


def _feedback(message: Message, last: BotEvent, history: History) -> BotEvent | None:
    """The customer's yes/no to the bot's previous answer, if that is what this message is."""
    reply = fold(message.body).strip()
    if last.action != BotEvent.Action.ANSWER or last.article is None:
        return None
    if NO.match(reply):
        record_feedback(last.article, helpful=False, source="bot")
        return hand_over(message, BotEvent.Reason.NOT_HELPFUL, history=history)
    if YES.match(reply):
        record_feedback(last.article, helpful=True, source="bot")
        with translation.override(_language(message.body)):
            _say(message.conversation, bot_user(), _("Glad it helped! Write again any time."))
        return BotEvent.objects.create(
            conversation=message.conversation,
            message=message,
            action=BotEvent.Action.FEEDBACK,
            reason=BotEvent.Reason.HELPFUL,
            article=last.article,
        )
    return None


def _negative_reason(insight: Insight | None) -> str | None:
    if insight is None:
        return None
    if insight.escalation_risk:
        return BotEvent.Reason.ESCALATION_RISK
    emotions = {e.get("label") for e in (insight.analysis or {}).get("emotions", [])}
    if emotions & ANGER:
        return BotEvent.Reason.ANGER
    return None


def respond(message: Message) -> BotEvent | None:
    """Decide what the bot does with one inbound message (after the filter read it); None = stay silent."""
    conversation = message.conversation
    current, bot = policy(), bot_user()
    if message.direction != Direction.INBOUND or not current.enabled:
        return None
    if conversation.channel not in current.channel_list():
        return None
    if message.sent_at < timezone.now() - FRESH_FOR:
        return None  # a backlog or an imported history: answering now would be worse than a person later
    history, insight = _read_for(message)
    if history.handled(message):
        return None  # already handled (a retried task)
    if not is_active_in(conversation, bot, current, history):
        return after_hand_over(message, bot, history)
    known = None
    if insight is None or not insight.is_spam:
        with translation.override(_language(message.body)):
            known = instant.first_for(message)
    if known is not None:  # what applies now (an outage) comes first; a person is offered after it
        said = answer_instantly(message, known)
        if HUMAN_REQUEST.search(fold(message.body)):
            return hand_over(message, BotEvent.Reason.ASKED_FOR_HUMAN, insight=insight, history=history)
        negative = _negative_reason(insight) if current.hand_over_on_negative else None
        return hand_over(message, negative, insight=insight, history=history) if negative else said
    if HUMAN_REQUEST.search(fold(message.body)):
        return hand_over(message, BotEvent.Reason.ASKED_FOR_HUMAN, insight=insight, history=history)
    if history.last is not None:
        reaction = _feedback(message, history.last, history)
        if reaction is not None:
            return reaction
    negative = _negative_reason(insight) if current.hand_over_on_negative else None
    if negative:
        return hand_over(message, negative, insight=insight, history=history)
    if insight is not None and insight.is_spam:
        return None
    found = search_index.search(message.body, kinds=(SearchEntry.Kind.ARTICLE,), limit=3)
    if not found.terms:
        return greet(message)
    log_search(found, source="bot")
    article = Article.objects.filter(pk=found.hits[0].object_id).first() if found.hits else None
    if article is None or found.confidence < current.min_confidence:
        return hand_over(
            message, BotEvent.Reason.LOW_CONFIDENCE, insight=insight, found=found, history=history
        )
    return answer(message, found, article)
