"""A small service centre with two departments and cases on two teams' desks."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dabai.accounts.models import Role
from dabai.conversations.models import Direction
from dabai.testing import ConversationFactory, CustomerFactory, DepartmentFactory, MessageFactory, UserFactory


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def product(department_member):
    department_member.email = "chanpin@example.cn"
    department_member.display_name = "产品经理王工"
    department_member.save()
    department = department_member.department
    department.name = "产品部"
    department.save()
    return department


@pytest.fixture
def finance_member(db):
    return UserFactory(
        username="caiwu",
        display_name="财务刘姐",
        email="caiwu@example.cn",
        role=Role.DEPARTMENT,
        department=DepartmentFactory(slug="finance", name="财务部"),
    )


@pytest.fixture
def finance(finance_member):
    return finance_member.department


@pytest.fixture
def hot_case(hotline, agent):
    """A hotline case answered by ``agent``: the customer gave their name, phone and ID number."""
    customer = CustomerFactory(display_name="王小明")
    conversation = ConversationFactory(customer=customer, team=hotline, assignee=agent, channel="phone")
    now = timezone.now()
    MessageFactory(
        conversation=conversation,
        body="我叫王小明，手机13812345678，身份证110101199003074514，APP一升级就闪退",
        sent_at=now - timedelta(hours=2),
    )
    MessageFactory(
        conversation=conversation,
        direction=Direction.OUTBOUND,
        author=agent,
        body="王小明您好，已为您登记，产品团队会跟进。",
        sent_at=now - timedelta(hours=1),
    )
    return conversation


@pytest.fixture
def online_case(online, other_agent):
    customer = CustomerFactory(display_name="李雷")
    conversation = ConversationFactory(customer=customer, team=online, assignee=other_agent)
    MessageFactory(conversation=conversation, body="退款申请一周了还没到账，手机13987654321")
    return conversation


@pytest.fixture
def agent_with_mail(agent):
    agent.email = "xiaoli@example.cn"
    agent.save()
    return agent
