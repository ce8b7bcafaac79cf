"""Public replies are checked with the lenient mask; bad query parameters are 400s, never 500s."""

from django.urls import reverse

from dabai.core.choices import Channel
from dabai.testing import ConversationFactory


def test_a_public_reply_with_a_dotted_mobile_is_refused(db, agent, client_for, hotline):
    conversation = ConversationFactory(team=hotline, channel=Channel.WEIBO, is_public=True)
    url = reverse("desk:send", args=[conversation.pk])
    leaking = ("请拨打138.1234.5678联系我们", "身份证110105194912310021已核实", "卡号6222 0212 3456 7890 128")
    for body in leaking:
        response = client_for(agent).post(url, {"kind": "reply", "body": body}, HTTP_HX_REQUEST="true")
        assert body in response.content.decode()
    assert not conversation.messages.exists()


def test_macro_search_answers_400_to_a_conversation_that_is_not_an_id(db, agent, client_for):
    client = client_for(agent)
    for value in ("²", "٣", "9" * 30, "-1"):
        assert client.get(reverse("replies:macro-search"), {"conversation": value}).status_code == 400
    assert client.get(reverse("replies:macro-search"), {"q": "您好"}).status_code == 200
