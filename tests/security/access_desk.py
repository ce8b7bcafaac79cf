"""The agent's workspace (dabai.desk): bulk actions take ids in the form and act only on conversations the
agent may open (desk/tests/test_bulk.py); snoozing is per conversation; a call's recording is for supervisors
of a conversation they may open."""

from dabai.channels.models import CallRecord
from dabai.conversations.models import Direction
from dabai.testing import MessageFactory

from .roles import HOT, NOT_SUPERVISOR, ONLINE

AGENT_PAGES = {"desk:bulk"}
OBJECT_URLS = {
    "desk:snooze": [("conv_hot", HOT), ("conv_online", ONLINE)],
    "desk:wake": [("conv_hot", HOT), ("conv_online", ONLINE)],
    "desk:recording": [("call_hot", NOT_SUPERVISOR)],
}


def extend_world(world: dict, people: dict) -> None:
    message = MessageFactory(conversation=world["conv_hot"], direction=Direction.INBOUND, body="通话")
    world["call_hot"] = CallRecord.objects.create(
        message=message,
        call_id="security-call-1",
        caller="13812345678",
        duration_seconds=61,
        recording_url="https://recordings.example.cn/security-call-1.mp3",
        transcript=[{"speaker": "customer", "text": "通话", "start": 0}],
        started_at=message.sent_at,
    )
