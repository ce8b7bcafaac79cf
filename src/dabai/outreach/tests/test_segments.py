"""Segments by product and by order: customers who named a product lately (as the filter read it) or who are
tagged with it, and customers who wrote one of a pasted list of order numbers; one query per rule."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dabai.conversations.services import store_insight
from dabai.core.choices import Channel
from dabai.customers.models import CustomerTag
from dabai.filter import analyse
from dabai.outreach.models import Campaign
from dabai.outreach.services import campaigns, segments
from dabai.testing import ConversationFactory, CustomerFactory, MessageFactory

pytestmark = pytest.mark.django_db


def wrote(customer, body: str, days_ago: int = 1) -> None:
    """The customer wrote this, and the filter read it (entities included)."""
    conversation = ConversationFactory(customer=customer, channel=Channel.SMS)
    message = MessageFactory(
        conversation=conversation, body=body, sent_at=timezone.now() - timedelta(days=days_ago)
    )
    store_insight(message, analyse(body, channel=Channel.SMS).to_dict())


@pytest.fixture
def shop(db):
    people = {name: CustomerFactory(display_name=name) for name in ("甲", "乙", "丙", "丁", "戊")}
    wrote(people["甲"], "我买的大白路由器坏了，订单号DD20261130123怎么处理")
    wrote(people["乙"], "光猫一直闪红灯，订单 JD1234567890 退款呢")
    wrote(people["丙"], "路由器信号太差了", days_ago=120)  # long ago
    people["丁"].tags.add(CustomerTag.objects.create(name="路由器"))  # a CRM import tagged the owners
    wrote(people["戊"], "我的订单DD20261130999到哪了")
    return people


def names(ids) -> set[str]:
    from dabai.customers.models import Customer

    return set(Customer.objects.filter(pk__in=ids).values_list("display_name", flat=True))


def test_customers_who_named_a_product_lately_or_are_tagged_with_it(shop):
    assert names(campaigns.segment_customers({"products": ["路由器"], "mention_days": 90})) == {"甲", "丁"}
    assert names(campaigns.segment_customers({"products": ["路由器"], "mention_days": 180})) == {
        "甲",
        "丙",
        "丁",
    }
    assert names(campaigns.segment_customers({"products": ["光猫", "路由器"]})) == {"甲", "乙", "丁"}


def test_customers_of_pasted_order_numbers_in_any_case(shop):
    numbers, errors = segments.parse_order_numbers("dd20261130123\nJD1234567890, NOPE1234\n\n")
    assert errors == [] and numbers == ["DD20261130123", "JD1234567890", "NOPE1234"]
    assert names(campaigns.segment_customers({"order_numbers": numbers})) == {"甲", "乙"}


def test_rules_combine_with_the_others(shop):
    shop["甲"].tags.add(CustomerTag.objects.create(name="朝阳区"))
    segment = {"tags": ["朝阳区"], "order_numbers": ["DD20261130123", "DD20261130999"]}
    assert names(campaigns.segment_customers(segment)) == {"甲"}


def test_a_segment_by_products_and_orders_costs_the_same_queries_for_many_customers(shop):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            campaigns.segment_customers({"products": ["路由器"], "order_numbers": ["DD20261130123", "X1234"]})
        return len(queries.captured_queries)

    few = count()
    for i in range(30):
        wrote(CustomerFactory(), f"新买的路由器坏了，订单号DD2026113{i:04d}")
    assert count() == few


def test_order_numbers_from_a_csv_and_bad_lines_named(shop):
    numbers, errors = segments.parse_order_numbers("order_number,note\nDD20261130123,急\n,\n有问题的单号,x\n")
    assert numbers == ["DD20261130123"] and errors == ["line 4: '有问题的单号' is not an order number"]


def test_the_campaign_form_takes_products_and_an_order_csv(shop, supervisor, client_for):
    csv = SimpleUploadedFile("orders.csv", b"order_number\nJD1234567890\n")
    response = client_for(supervisor).post(
        reverse("outreach:campaign_new"),
        {
            "name": "路由器召回",
            "kind": "transactional",
            "sms_text": "{name}您好，您购买的路由器可免费更换。",
            "products": "路由器",
            "mention_days": "90",
            "order_numbers": "DD20261130123",
            "orders_csv": csv,
        },
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert campaign.segment == {
        "products": ["路由器"],
        "mention_days": 90,
        "order_numbers": ["DD20261130123", "JD1234567890"],
    }
    assert names(campaigns.segment_customers(campaign.segment)) == {"甲"}
    rules = client_for(supervisor).get(reverse("outreach:campaign", args=[campaign.pk])).content.decode()
    assert "最近 90 天内提到过 路由器" in rules and "提到过所列 2 个订单号之一" in rules


def test_a_bad_order_number_is_refused_with_the_line_and_nothing_is_created(shop, supervisor, client_for):
    response = client_for(supervisor).post(
        reverse("outreach:campaign_new"),
        {"name": "x", "kind": "transactional", "sms_text": "hi", "order_numbers": "DD20261130123\n订单？"},
    )
    assert response.status_code == 200 and "line 2" in response.content.decode()
    assert not Campaign.objects.exists()
