"""Replies that cannot embarrass: no unfilled blank goes out, customers are addressed politely (杜女士,
or 您好 alone), and a public Weibo answer never carries the customer's name, numbers or order."""

import pytest

from dabai.api.tests.conftest import api_for, make_token  # noqa: F401 (fixtures)
from dabai.conversations.models import Message
from dabai.core.choices import Channel
from dabai.customers.models import Gender
from dabai.replies import policy, services
from dabai.testing import ChannelIdentityFactory, ConversationFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def du(db):
    """杜丽娟, who writes on Weibo as 小杜爱旅行 and whose profile says she is a woman."""
    customer = CustomerFactory(display_name="杜丽娟", gender=Gender.FEMALE)
    ChannelIdentityFactory(customer=customer, channel=Channel.WEIBO, external_id="u-88", handle="小杜爱旅行")
    return customer


@pytest.mark.parametrize("blank", ["【订单号】", "【】", "{{order_id}}", "{order_number}"])
def test_a_reply_with_an_unfilled_blank_is_refused_naming_it_and_nothing_is_stored(agent, blank):
    conversation = ConversationFactory(channel=Channel.WECHAT)
    with pytest.raises(services.UnfilledBlank) as refused:
        services.send_from_desk(conversation, agent, kind="reply", body=f"您好，您的订单{blank}已发货。")
    assert blank in refused.value.messages[0]
    assert refused.value.code == "unfilled_blank"
    assert not Message.objects.filter(conversation=conversation).exists()


def test_a_note_may_keep_blanks_and_a_filled_reply_goes_out(agent):
    conversation = ConversationFactory(channel=Channel.WECHAT)
    services.send_from_desk(conversation, agent, kind="note", body="待补【订单号】")
    services.send_from_desk(conversation, agent, kind="reply", body="您好，订单DD2024051188已发货。")
    assert conversation.messages.count() == 2


@pytest.mark.parametrize(
    ("body", "what"),
    [
        ("杜丽娟您好，问题已记录", "杜丽娟"),
        ("@小杜爱旅行 已经为您处理", "小杜爱旅行"),
        ("杜女士您好，已为您加急", "杜女士"),
        ("请拨打13812345678联系我们", None),
        ("您的订单DD20240511889已退款", None),
        ("工单4512345678已受理", "4512345678"),
    ],
)
def test_a_public_weibo_reply_never_carries_the_customers_name_numbers_or_order(agent, du, body, what):
    conversation = ConversationFactory(customer=du, channel=Channel.WEIBO, is_public=True)
    with pytest.raises(services.PersonalDataInPublic) as refused:
        services.send_from_desk(conversation, agent, kind="reply", body=body)
    assert refused.value.code == "personal_data_in_public"
    if what:
        assert what in refused.value.messages[0]
    assert not conversation.messages.exists()


def test_a_public_weibo_reply_without_personal_details_goes_out(agent, du):
    conversation = ConversationFactory(customer=du, channel=Channel.WEIBO, is_public=True)
    services.send_from_desk(conversation, agent, kind="reply", body="您好，已私信您，请查收～")
    assert conversation.messages.count() == 1


def test_the_same_names_are_fine_in_a_private_message(agent, du):
    conversation = ConversationFactory(customer=du, channel=Channel.WEIBO, is_public=False)
    services.send_from_desk(conversation, agent, kind="reply", body="杜女士您好，订单DD20240511889已退款")
    assert conversation.messages.count() == 1


@pytest.mark.parametrize(
    ("name", "gender", "polite"),
    [
        ("杜丽娟", Gender.FEMALE, "杜女士"),
        ("杜建国", Gender.MALE, "杜先生"),
        ("欧阳娜娜", Gender.FEMALE, "欧阳女士"),
        ("王阿姨", Gender.FEMALE, "王女士"),
        ("杜丽娟", Gender.UNKNOWN, ""),
        ("小熊不吃糖", Gender.FEMALE, ""),
        ("老王", Gender.MALE, ""),
        ("user_2291", Gender.MALE, ""),
    ],
)
def test_customers_are_addressed_politely_or_not_by_name_at_all(name, gender, polite):
    customer = CustomerFactory(display_name=name, gender=gender)
    assert policy.polite_name(customer) == polite
    assert policy.salutation(customer) == f"{polite}您好"


def test_a_canned_reply_fills_the_polite_name_and_never_the_full_one(agent):
    known = ConversationFactory(customer=CustomerFactory(display_name="杜丽娟", gender=Gender.FEMALE))
    unknown = ConversationFactory(customer=CustomerFactory(display_name="杜丽娟"))
    public = ConversationFactory(
        customer=CustomerFactory(display_name="杜丽娟", gender=Gender.FEMALE), channel="weibo", is_public=True
    )
    text = "{customer_name}您好，订单{order_number}已加急。"

    def rendered(conversation):
        return policy.render_macro(
            text, policy.macro_values(conversation, agent, order_number="DD2024051188")
        )

    assert rendered(known) == "杜女士您好，订单DD2024051188已加急。"
    assert rendered(unknown) == "您好，订单DD2024051188已加急。"
    assert rendered(public) == "您好，订单【订单号】已加急。", "public: no name, and the order stays a blank"
    assert policy.render_macro("尊敬的{customer_name}：", {"customer_name": ""}) == "尊敬的客户："
    assert "杜丽娟" not in rendered(known) + rendered(unknown) + rendered(public)


def test_the_api_refuses_an_unfilled_blank_with_its_own_code(api_for):  # noqa: F811
    conversation = ConversationFactory(channel="sms")
    response = api_for("write:messages").post(
        f"/api/v1/conversations/{conversation.pk}/messages", {"body": "您好，您的订单【订单号】已发货"}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "unfilled_blank"
    assert "【订单号】" in error["fields"][0]["message"]["en"]
    assert not conversation.messages.exists()
