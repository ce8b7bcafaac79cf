"""Programmes' test fixtures: a training day and a meet-up in the future, people in departments."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from dabai.accounts.models import Role
from dabai.programs.models import Frequency, Kind
from dabai.programs.services import seats
from dabai.testing import DepartmentFactory, UserFactory


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Each test starts with the public doors' counters at zero (the cache outlives a test)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def product(db):
    return DepartmentFactory(slug="product", name="产品部")


@pytest.fixture
def finance(db):
    return DepartmentFactory(slug="finance", name="财务部")


@pytest.fixture
def make_member(product):
    def make(name: str, department=None, **kwargs):
        department = department or product
        user = UserFactory(display_name=name, role=Role.DEPARTMENT, department=department, **kwargs)
        user.email = f"{user.username}@corp.example.cn"
        user.save(update_fields=["email"])
        return user

    return make


def _session(kind: str, *, capacity: int, quotas=None, days: int = 14, title: str = "第12期"):
    programme = seats.create_programme(
        name={"training": "深层次用户体验培训", "meetup": "用户见面会", "visit": "用户拜访"}[kind],
        kind=kind,
        frequency=Frequency.BIMONTHLY,
        quotas=quotas,
    )
    start = timezone.now().replace(microsecond=0) + timedelta(days=days)
    return seats.create_session(
        programme,
        title=title,
        starts_at=start,
        ends_at=start + timedelta(hours=6),
        place="上海客户服务中心",
        room="3楼培训室",
        capacity=capacity,
    )


@pytest.fixture
def training(db):
    return _session(Kind.TRAINING, capacity=3, quotas={"product": 2})


@pytest.fixture
def meetup(db):
    return _session(Kind.MEETUP, capacity=2, title="春季用户见面会")


@pytest.fixture
def make_session(db):
    return _session


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed(): ...`` runs what the block queued for after commit (tasks, live events) at its end,
    as a real commit would (the test itself runs inside one transaction)."""

    def block():
        return django_capture_on_commit_callbacks(execute=True)

    return block
