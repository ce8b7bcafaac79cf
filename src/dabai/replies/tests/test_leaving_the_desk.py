"""Public replies are checked with the lenient mask; bad query parameters are 400s, never 500s."""

from django.urls import reverse

from dabai.core.choices import Channel
from dabai.testing import ConversationFactory


def test_a_public_reply_with_a_dotted_mobile_is_refused(db, agent, client_for, hotline):
    conversation = ConversationFactory(team=hotline, channel=Channel.WEIBO, is_public=True)
    url = reverse("replies:send", args=[conversation.pk])
    leaking = ("请拨打138.1234.5678联系我们", "身份证110105194912310021已核实", "卡号6222 0212 3456 7890 128")
    for body in leaking:
        response = client_for(agent).post(url, {"kind": "reply", "body": body}, HTTP_HX_REQUEST="true")
        assert body in response.content.decode()
    assert not conversation.messages.exists()
