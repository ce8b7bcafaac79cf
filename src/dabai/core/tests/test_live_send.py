"""Live events to many groups at once (a drained batch): listened groups get theirs in order, empty ones cost
nothing, on the real Redis channel layer."""

import asyncio

from channels_redis.core import RedisChannelLayer

from dabai.core import live
from dabai.core.tests.test_redis_backend import redis_url  # noqa: F401 (the suite's Redis, a fixture)


def test_only_listened_groups_are_sent_to_each_in_order(redis_url, monkeypatch):  # noqa: F811
    layer = RedisChannelLayer(hosts=[redis_url.rsplit("/", 1)[0] + "/11"])
    monkeypatch.setattr(live, "get_channel_layer", lambda: layer)
    sends: list[str] = []
    real_group_send = layer.group_send

    async def group_send(group, message):
        sends.append(group)
        await real_group_send(group, message)

    monkeypatch.setattr(layer, "group_send", group_send)
    events = [(f"conversation-{i}", {"type": "conversation.event", "n": i}) for i in range(300)]
    events += [("conversation-7", {"type": "conversation.event", "n": "again"})]

    async def scenario() -> list[dict]:
        await layer.flush()
        page = await layer.new_channel()
        await layer.group_add("conversation-7", page)
        await asyncio.get_running_loop().run_in_executor(None, live.send, events)
        heard = []
        try:
            while True:
                heard.append(await asyncio.wait_for(layer.receive(page), 1))
        except TimeoutError:
            pass
        # not flush(): it would close the pools of every loop, the sender's own (live's) among them
        await layer.group_discard("conversation-7", page)
        return heard

    heard = asyncio.run(scenario())
    assert [event["n"] for event in heard] == [7, "again"]
    assert sends == ["conversation-7", "conversation-7"], "nobody listens to the other 299 pages"


def test_when_redis_cannot_say_who_listens_every_group_is_sent_to(redis_url, monkeypatch):  # noqa: F811
    """Asking which groups listen uses the Redis layer's private parts: if that fails, nothing is lost."""
    layer = RedisChannelLayer(hosts=[redis_url.rsplit("/", 1)[0] + "/11"])
    monkeypatch.setattr(live, "get_channel_layer", lambda: layer)
    sends: list[str] = []

    async def group_send(group, message):
        sends.append(group)

    def broken(index):
        raise ConnectionError("the layer changed")

    monkeypatch.setattr(layer, "group_send", group_send)
    monkeypatch.setattr(layer, "connection", broken)
    live.send([(f"conversation-{i}", {"type": "conversation.event", "n": i}) for i in range(3)])
    assert sorted(sends) == ["conversation-0", "conversation-1", "conversation-2"]


def test_a_background_process_sends_on_one_loop_with_its_connections_kept(redis_url, monkeypatch):  # noqa: F811
    """Outside the web server (the worker, the drain) every send runs on the same event loop, so the Redis
    layer's connections, kept per loop, are opened once and not again for each answer the bot sends."""
    layer = RedisChannelLayer(hosts=[redis_url.rsplit("/", 1)[0] + "/11"])
    monkeypatch.setattr(live, "get_channel_layer", lambda: layer)
    loops = set()
    real_group_send = layer.group_send

    async def group_send(group, message):
        loops.add(asyncio.get_running_loop())
        await real_group_send(group, message)

    monkeypatch.setattr(layer, "group_send", group_send)
    monkeypatch.setattr(live, "_listened", lambda layer, groups: _every(groups))
    for n in range(3):
        live.send([("conversation-1", {"type": "conversation.event", "n": n})])
    assert len(loops) == 1, "one loop for every send, so one set of connections"


async def _every(groups: list[str]) -> list[str]:
    return groups
