"""Two agents in one conversation see each other (collision detection); mentions reach colleagues live."""

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from dabai.conversations.routing import websocket_urlpatterns
from dabai.testing import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db

application = URLRouter(websocket_urlpatterns)


async def connect(user, path):
    communicator = WebsocketCommunicator(application, path)
    communicator.scope["user"] = user
    connected, code = await communicator.connect()
    return communicator, connected, code


@pytest.fixture
def conversation(hotline):
    return ConversationFactory(team=hotline)


def test_second_agent_opening_a_conversation_is_seen_by_the_first_and_sees_them(
    conversation, agent, supervisor
):
    path = f"/ws/conversations/{conversation.pk}/"

    async def scenario():
        first, _, _ = await connect(agent, path)
        second, _, _ = await connect(supervisor, path)
        seen_by_first = await first.receive_json_from(timeout=2)
        seen_by_second = await second.receive_json_from(timeout=2)
        await second.send_json_to({"action": "typing"})
        typing = await first.receive_json_from(timeout=2)
        await second.disconnect()
        left = await first.receive_json_from(timeout=2)
        await first.disconnect()
        return seen_by_first, seen_by_second, typing, left

    seen_by_first, seen_by_second, typing, left = async_to_sync(scenario)()
    assert seen_by_first == {
        "kind": "presence",
        "conversation_id": conversation.pk,
        "user_id": supervisor.pk,
        "name": str(supervisor),
        "state": "viewing",
    }
    assert (seen_by_second["user_id"], seen_by_second["state"]) == (agent.pk, "viewing")
    assert (typing["name"], typing["state"]) == (str(supervisor), "typing")
    assert (left["user_id"], left["state"]) == (supervisor.pk, "left")


def test_agent_who_may_not_see_the_conversation_is_refused(conversation, other_agent):
    async def scenario():
        _, connected, code = await connect(other_agent, f"/ws/conversations/{conversation.pk}/")
        return connected, code

    assert async_to_sync(scenario)() == (False, 4403)


def test_one_agents_two_tabs_are_not_a_collision(conversation, agent):
    path = f"/ws/conversations/{conversation.pk}/"

    async def scenario():
        first, _, _ = await connect(agent, path)
        second, _, _ = await connect(agent, path)
        quiet = await first.receive_nothing(timeout=0.3)
        await second.disconnect()
        await first.disconnect()
        return quiet

    assert async_to_sync(scenario)() is True


def test_mention_notice_reaches_the_colleagues_inbox_without_text(
    conversation, agent, supervisor, django_capture_on_commit_callbacks
):
    def mention():
        with django_capture_on_commit_callbacks(execute=True):
            MessageFactory(conversation=conversation, direction="note", author=agent, body="@supervisor 请看")

    async def scenario():
        inbox, _, _ = await connect(supervisor, "/ws/inbox/")
        await sync_to_async(mention)()  # in the test's thread and transaction
        event = await inbox.receive_json_from(timeout=2)
        await inbox.disconnect()
        return event

    assert async_to_sync(scenario)() == {
        "kind": "mention.new",
        "conversation_id": conversation.pk,
        "by": str(agent),
    }


def test_closing_one_of_two_tabs_keeps_the_agent_present_for_colleagues(conversation, agent, supervisor):
    path = f"/ws/conversations/{conversation.pk}/"

    async def scenario():
        first_tab, _, _ = await connect(agent, path)
        second_tab, _, _ = await connect(agent, path)
        colleague, _, _ = await connect(supervisor, path)
        for _ in range(2):  # both tabs answer the newcomer
            await colleague.receive_json_from(timeout=2)
        await second_tab.disconnect()
        states = [(await colleague.receive_json_from(timeout=2))["state"] for _ in range(2)]
        for communicator in (first_tab, colleague):
            await communicator.disconnect()
        return states

    assert async_to_sync(scenario)() == ["left", "viewing"]
