"""Quality reviews in the access registry: cycles, reviews and calibration are for reviewers (supervisors,
quality seats); samples, questions, agreement and one agent's reviews for supervisors only. An agent reads
their own reviews on ``quality:mine`` (classified in test_access.py)."""

from django.utils import timezone

from dabai.conversations.models import Status
from dabai.conversations.services import assign, change_status, post_reply, receive_message
from dabai.core.choices import Channel
from dabai.customers.models import Customer
from dabai.quality import reviews

from .roles import NOT_SUPERVISOR

OBJECT_URLS = {
    "quality:review_question_retire": [("review_question", NOT_SUPERVISOR)],
    "quality:cycle": [("review_cycle", NOT_SUPERVISOR)],
    "quality:calibration_create": [("review_cycle", NOT_SUPERVISOR)],
    "quality:review": [("sample_item", NOT_SUPERVISOR)],
    "quality:item_remove": [("sample_item", NOT_SUPERVISOR)],
    "quality:calibration": [("calibration_round", NOT_SUPERVISOR)],
    "quality:calibration_review": [("calibration_item", NOT_SUPERVISOR)],
    "quality:agent_reviews": [("reviewed_agent", NOT_SUPERVISOR)],
}


def extend_world(world: dict, people: dict) -> None:
    agent, supervisor, admin = people["agent"], people["supervisor"], people["admin_user"]
    customer = Customer.objects.create(display_name="抽检客户")
    conversation = receive_message(
        customer=customer, channel=Channel.CHAT, body="订单还没到"
    ).message.conversation
    assign(conversation, agent, actor=agent)
    post_reply(conversation, agent, "已为您催促。")
    change_status(conversation, Status.RESOLVED, actor=agent)
    world["review_question"] = reviews.add_question("问题解决了吗？")
    today = timezone.localdate(conversation.resolved_at)
    cycle = reviews.create_cycle(
        name="抽检", period_start=today, period_end=today, created_by=supervisor, seed=1
    )
    world["review_cycle"] = cycle
    world["sample_item"] = cycle.items.get(conversation=conversation)
    calibration = reviews.create_calibration(
        name="校准", conversations=[conversation], reviewers=[supervisor, admin], created_by=supervisor
    )
    world["calibration_round"] = calibration
    world["calibration_item"] = calibration.items.get()
    world["reviewed_agent"] = agent
