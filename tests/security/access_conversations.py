"""Merging and splitting conversations (dabai.conversations.merge_views): the desk merges and splits the
conversations its person may open; only supervisors see the list of recent merges and splits and undo them."""

from dabai.conversations.services import (
    assign,
    merge_conversations,
    receive_message,
    split_conversation,
)
from dabai.core.choices import Channel
from dabai.customers.models import Customer

from .roles import HOT, NOT_SUPERVISOR, ONLINE

# ``conversations:merges`` (no id) is not an agent page: it is for supervisors.
OBJECT_URLS = {
    "conversations:merge": [("conv_hot", HOT), ("conv_online", ONLINE)],
    "conversations:split": [("conv_hot", HOT), ("conv_online", ONLINE)],
    "conversations:merge-undo": [("conv_merge", NOT_SUPERVISOR)],
    "conversations:split-undo": [("conv_split", NOT_SUPERVISOR)],
}


def extend_world(world: dict, people: dict) -> None:
    supervisor, hotline = people["supervisor"], people["hotline"]
    customer = Customer.objects.create(display_name="合并客户")
    first, second, third = (
        receive_message(customer=customer, channel=channel, body=body).message.conversation
        for channel, body in (
            (Channel.WECHAT, "宽带断了"),
            (Channel.PHONE, "（来电）还是断网"),
            (Channel.SMS, "退订短信怎么弄"),
        )
    )
    for conversation in (first, second, third):
        assign(conversation, None, actor=supervisor, team=hotline)
    world["conv_merge"] = merge_conversations(surviving=first, absorbed=second, actor=supervisor)
    receive_message(customer=customer, channel=Channel.SMS, body="另外，套餐能改吗")
    world["conv_split"] = split_conversation(
        third, [third.messages.order_by("-id").first().pk], actor=supervisor
    )
