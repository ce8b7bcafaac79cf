"""One job answers a drained batch: each message as if it came alone, a failing one retried on its own."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from dabai.conversations.models import Direction
from dabai.conversations.services import Inbound, receive_messages
from dabai.core.choices import Channel
from dabai.knowledge import bot, tasks
from dabai.knowledge.models import BotEvent
from dabai.knowledge.tasks import bot_respond_all
from dabai.testing import CustomerFactory, run_queued_tasks

QUESTIONS = ["退款多久能到账？", "忘记密码怎么办", "转人工"]


@pytest.fixture
def batch(help_centre, django_capture_on_commit_callbacks):
    """Three customers write at once (one drained batch), the filter reads them together."""
    items = [
        Inbound(channel=Channel.CHAT, customer=CustomerFactory(), body=body, external_id=f"batch-{i}")
        for i, body in enumerate(QUESTIONS)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        messages = [r.message for r in receive_messages(items)]
    with django_capture_on_commit_callbacks(execute=True):
        run_queued_tasks()  # the filter's reading of all three, which queues the bot
    return messages


def case_jobs() -> list[DBTaskResult]:
    """The portal's case-index jobs, oldest first."""
    return list(
        DBTaskResult.objects.filter(task_path="dabai.insights.tasks.index_cases").order_by("enqueued_at")
    )


def queued(task_name: str) -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=f"dabai.knowledge.tasks.{task_name}", status="READY"))


def test_one_job_answers_every_message_of_the_batch(batch):
    [job] = queued("bot_respond_all")
    assert job.args_kwargs["args"] == [[m.pk for m in batch]]
    assert queued("bot_respond") == []
    run_queued_tasks()
    events = {e.message_id: e for e in BotEvent.objects.all()}
    assert events[batch[0].pk].action == BotEvent.Action.ANSWER
    assert events[batch[1].pk].action == BotEvent.Action.ANSWER
    assert events[batch[2].pk].action == BotEvent.Action.HAND_OVER
    for message in batch:
        assert message.conversation.messages.filter(direction=Direction.OUTBOUND).count() == 1


def test_a_failing_answer_is_retried_alone_and_the_others_are_answered(batch, monkeypatch):
    respond = bot.respond

    def flaky(message):
        if message.pk == batch[1].pk:
            raise ConnectionError("knowledge index away")
        return respond(message)

    monkeypatch.setattr(bot, "respond", flaky)
    run_queued_tasks()
    assert set(BotEvent.objects.values_list("message_id", flat=True)) == {batch[0].pk, batch[2].pk}
    [retry] = DBTaskResult.objects.filter(task_path="dabai.knowledge.tasks.bot_respond")
    assert retry.args_kwargs == {"args": [batch[1].pk], "kwargs": {"attempt": 1}}

    monkeypatch.setattr(bot, "respond", respond)
    run_queued_tasks(include_future=True)
    answered = BotEvent.objects.filter(message=batch[1]).get()
    assert answered.article is not None
    assert BotEvent.objects.count() == 3, "nobody is answered twice"


def test_a_batch_reads_the_policy_calendar_and_wait_figures_once_not_per_message(
    help_centre, django_capture_on_commit_callbacks, monkeypatch
):
    """Twelve customers the bot hands over in one job: the reads every hand-over shares are made once, and
    their cases are refreshed by one job."""
    answer = tasks._respond

    def committed(message_id: int, attempt: int) -> str:  # as in production, each answer commits on its own
        with django_capture_on_commit_callbacks(execute=True):
            return answer(message_id, attempt)

    monkeypatch.setattr(tasks, "_respond", committed)

    def hand_overs(n: int) -> list[int]:
        items = [
            Inbound(channel=Channel.CHAT, customer=CustomerFactory(), body=f"你们明年在杭州开店吗{i}")
            for i in range(n)
        ]
        with django_capture_on_commit_callbacks(execute=True):
            return [r.message.pk for r in receive_messages(items)]

    queries, history_reads = [], []
    for n in (1, 12):
        ids = hand_overs(n)
        indexed = case_jobs()
        with CaptureQueriesContext(connection) as done:
            assert bot_respond_all.call(ids) == {"hand_over": n}
        queries.append(len(done.captured_queries))
        history_reads.append(sum(bot_events_read(q["sql"]) for q in done.captured_queries))
        [refresh] = case_jobs()[len(indexed) :]  # the cases of the batch's replies: one job
        assert len(refresh.args_kwargs["args"][0]) == n
    one, twelve = queries
    assert twelve <= 12 * one - 11 * 6, f"{twelve} queries for 12 hand-overs, {one} for one"
    # What the bot did before in a conversation is read once per batch, not once per message or question.
    assert history_reads == [1, 1]


def bot_events_read(sql: str) -> bool:
    return sql.startswith("SELECT") and 'FROM "knowledge_botevent"' in sql


def test_a_second_message_of_a_conversation_in_the_batch_sees_what_the_bot_did_with_the_first(
    help_centre, django_capture_on_commit_callbacks, monkeypatch
):
    """The batch's messages are read ahead together, except where a conversation has two: the second ("没用",
    the answer did not help) is read after the bot answered the first, so it is taken as feedback."""
    answer = tasks._respond

    def committed(message_id: int, attempt: int) -> str:
        with django_capture_on_commit_callbacks(execute=True):
            return answer(message_id, attempt)

    monkeypatch.setattr(tasks, "_respond", committed)
    customer, other = CustomerFactory(), CustomerFactory()
    items = [
        Inbound(channel=Channel.CHAT, customer=customer, body="退款多久能到账？", external_id="twice-1"),
        Inbound(channel=Channel.CHAT, customer=other, body="忘记密码怎么办", external_id="alone-1"),
        Inbound(channel=Channel.CHAT, customer=customer, body="没用", external_id="twice-2"),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        first, alone, second = [r.message for r in receive_messages(items)]
    assert first.conversation_id == second.conversation_id
    assert bot_respond_all.call([first.pk, alone.pk, second.pk]) == {"answer": 2, "hand_over": 1}
    handed = BotEvent.objects.get(message=second)
    assert (handed.action, handed.reason) == (BotEvent.Action.HAND_OVER, BotEvent.Reason.NOT_HELPFUL)
    assert BotEvent.objects.get(message=alone).action == BotEvent.Action.ANSWER
