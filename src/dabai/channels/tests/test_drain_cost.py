"""What a drained batch costs beside its own work: one trip to the channel layer, one job for the bot."""

import json

import pytest

from dabai.channels.drain import accept_payload, drain_batch
from dabai.conversations.live import INBOX_ALL_GROUP, INBOX_UNROUTED_GROUP, gathered_events
from dabai.conversations.models import Conversation, Insight
from dabai.core import live
from dabai.testing import ConversationFactory


def sms_json(text: str, sms_id: str, sender: str) -> bytes:
    return json.dumps({"from": sender, "text": text, "id": sms_id}, ensure_ascii=False).encode()


@pytest.fixture
def trips(monkeypatch) -> list[list[live.Addressed]]:
    """Every trip to the (real, in-memory) channel layer, with what it carried."""
    sent: list[list[live.Addressed]] = []
    real = live.send

    def send(messages):
        messages = list(messages)
        sent.append(messages)
        real(messages)

    monkeypatch.setattr(live, "send", send)
    return sent


def test_a_drained_batch_reaches_the_channel_layer_in_one_trip(db, commit, trips):
    for i in range(4):
        accept_payload(
            "sms", "webhook", sms_json("宽带又断了，师傅什么时候上门", f"cost-{i}", f"1390000{i:04d}")
        )
    # The batch's transaction commits inside the drain's gathering, as it does in `dabai drain` (here the
    # test's own transaction stands in for the commit).
    with gathered_events(), commit():
        assert drain_batch(10) == 4
    assert Insight.objects.count() == 4
    [trip] = trips
    conversations = set(Conversation.objects.values_list("pk", flat=True))
    pages = {(group, event["kind"]) for group, event in trip if group.startswith("conversation-")}
    assert pages == {(f"conversation-{pk}", "insight.new") for pk in conversations}
    inboxes = [group for group, _ in trip if group.startswith("inbox-")]
    assert sorted(inboxes) == sorted(set(inboxes)), "one event per inbox audience for the whole batch"
    assert INBOX_ALL_GROUP in inboxes
    assert all("body" not in event for _, event in trip), "events carry no message text"


def test_a_rolled_back_change_inside_a_gathering_tells_nobody(db, commit, trips):
    from django.db import transaction

    from dabai.conversations.live import publish_conversation_event

    kept = ConversationFactory(team=None)
    with gathered_events(), commit():
        publish_conversation_event(kept.pk, "message.new")
        try:
            with transaction.atomic():
                publish_conversation_event(kept.pk + 1000, "message.new")
                raise RuntimeError("the change fails")
        except RuntimeError:
            pass
    [trip] = trips
    assert {event["conversation_id"] for _, event in trip} == {kept.pk}
    assert {group for group, _ in trip} >= {f"conversation-{kept.pk}", INBOX_ALL_GROUP, INBOX_UNROUTED_GROUP}


def test_outside_a_gathering_events_go_out_as_their_transaction_commits(db, commit, trips):
    kept = ConversationFactory(team=None)
    from dabai.conversations.live import publish_conversation_event

    with commit():
        publish_conversation_event(kept.pk, "message.new")
        publish_conversation_event(kept.pk, "insight.new")
    assert len(trips) == 2


def test_the_queued_drain_task_leaves_the_draining_to_a_running_lane(db, monkeypatch):
    """In a worker whose `dabai drain` lane runs, the queued drain task claims nothing (it would compete at
    the queue's lower priority); once the lane is gone, the task drains as before."""
    import subprocess
    import sys

    from dabai.channels import drain
    from dabai.channels.drain import drain_inbound
    from dabai.channels.models import DrainRequest, InboundPayload, PayloadStatus

    accept_payload("sms", "webhook", sms_json("宽带又断了", "lane-task-1", "13900009999"))
    lane = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    monkeypatch.setattr(drain, "_lane", lane)
    try:
        assert drain.lane_running()
        assert drain_inbound.call() == 0
        assert InboundPayload.objects.get().status == PayloadStatus.RECEIVED, "left to the lane"
        assert DrainRequest.objects.exists(), "the drain stays asked for: the express lane keeps answering"
    finally:
        lane.kill()
        lane.wait()
    assert not drain.lane_running()
    assert drain_inbound.call() == 1
    assert InboundPayload.objects.get().status == PayloadStatus.PROCESSED


def test_behind_a_backlog_the_lane_takes_bigger_batches_then_small_ones_again(db, monkeypatch):
    import threading
    from types import SimpleNamespace

    from dabai.channels import drain
    from dabai.channels.models import InboundPayload, PayloadStatus

    for i in range(7):
        accept_payload("sms", "webhook", sms_json("话费多扣了", f"backlog-{i}", f"1380000{i:04d}"))
    monkeypatch.setattr(drain, "DRAIN_BATCH", 1)
    monkeypatch.setattr(drain, "DRAIN_BATCH_MAX", 4)
    sizes: list[tuple[int, int]] = []
    real = drain.drain_batch

    def recorded(limit, timings=None):
        claimed = real(limit, timings)
        sizes.append((limit, claimed))
        return claimed

    class UntilIdle(threading.Event):
        def is_set(self) -> bool:
            return bool(sizes) and sizes[-1][1] == 0

    monkeypatch.setattr(drain, "drain_batch", recorded)
    # As in the lane test: the loop runs in the test's transaction, without its connection housekeeping.
    monkeypatch.setattr(drain, "close_old_connections", lambda: None)
    monkeypatch.setattr(drain, "connection", SimpleNamespace(close=lambda: None))
    assert drain.drain_forever(UntilIdle(), idle_seconds=0) == 7
    assert sizes == [(1, 1), (2, 2), (4, 4), (4, 0)]
    assert drain.next_limit(4, 0) == 1, "caught up: small batches again"
    assert set(InboundPayload.objects.values_list("status", flat=True)) == {PayloadStatus.PROCESSED}


def test_a_stream_gathers_into_batches_while_a_backlog_is_worked_off_at_once(monkeypatch):
    """After a batch that was not full the lane waits for arrivals to gather (one batch's fixed work for
    many messages, not for each); after a full one (a backlog) it claims again at once."""
    import threading
    from types import SimpleNamespace

    from dabai.channels import drain

    arrivals = iter([4, 4, 2, 0, 1])  # a backlog (full batches of 4), its tail, nothing, a stream again
    waits: list[tuple[int, float]] = []

    class Loop(threading.Event):
        def is_set(self) -> bool:
            return len(waits) >= 3

        def wait(self, timeout=None) -> bool:
            waits.append((claims[-1], timeout))
            return False

    claims: list[int] = []

    def claim(limit, timings=None):
        claims.append(min(limit, next(arrivals)))
        return claims[-1]

    monkeypatch.setattr(drain, "DRAIN_BATCH", 4)
    monkeypatch.setattr(drain, "DRAIN_BATCH_MAX", 4)
    monkeypatch.setattr(drain, "drain_batch", claim)
    monkeypatch.setattr(drain, "drain_running", lambda: None)
    monkeypatch.setattr(drain, "close_old_connections", lambda: None)
    monkeypatch.setattr(drain, "connection", SimpleNamespace(close=lambda: None))
    assert drain.drain_forever(Loop(), idle_seconds=0.1, gather_seconds=0.2) == 11
    assert claims == [4, 4, 2, 0, 1]
    assert waits == [(2, 0.2), (0, 0.1), (1, 0.2)], "no wait after a full batch"


def test_the_lane_makes_way_for_busy_doors_before_each_claim(monkeypatch):
    """``dabai drain`` passes ``dabai.core.pressure.make_way``: asked before every batch is claimed, so a
    burst at the doors holds the next batch back (the batch already claimed is finished)."""
    import threading
    from types import SimpleNamespace

    from dabai.channels import drain

    order: list[str] = []

    class ThreeTurns(threading.Event):
        def is_set(self) -> bool:
            return order.count("claim") >= 3

        def wait(self, timeout=None) -> bool:
            return False

    def claim(limit, timings=None):
        order.append("claim")
        return 1

    monkeypatch.setattr(drain, "drain_batch", claim)
    monkeypatch.setattr(drain, "drain_running", lambda: None)
    monkeypatch.setattr(drain, "close_old_connections", lambda: None)
    monkeypatch.setattr(drain, "connection", SimpleNamespace(close=lambda: None))
    drain.drain_forever(ThreeTurns(), make_way=lambda stop: order.append("make way") or 0.0)
    assert order == ["make way", "claim"] * 3
