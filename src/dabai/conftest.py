"""Fixtures every app's tests share: people in each role and a two-team service centre."""

import pytest
from django.test import Client

from dabai.accounts.models import Role
from dabai.testing import PASSWORD, DepartmentFactory, TeamFactory, UserFactory


@pytest.fixture(autouse=True)
def no_drain_process(monkeypatch):
    """A test that runs ``dabai worker`` in-process must not leave a real ``dabai drain`` behind for the rest
    of the session (it would poll the non-test database); the drain process's tests start one themselves."""
    from dabai.channels import receivers

    monkeypatch.setattr(receivers, "start_drain_process", lambda: None)


@pytest.fixture
def hotline(db):
    return TeamFactory(slug="hotline", name="热线组")


@pytest.fixture
def online(db):
    return TeamFactory(slug="online", name="在线组")


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", role=Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def supervisor(db, hotline, online):
    return UserFactory(username="supervisor", role=Role.SUPERVISOR, teams=[hotline, online])


@pytest.fixture
def agent(db, hotline):
    return UserFactory(username="agent", role=Role.AGENT, teams=[hotline])


@pytest.fixture
def other_agent(db, online):
    return UserFactory(username="other-agent", role=Role.AGENT, teams=[online])


@pytest.fixture
def department_member(db):
    return UserFactory(username="product", role=Role.DEPARTMENT, department=DepartmentFactory(slug="product"))


@pytest.fixture
def customer_user(db):
    return UserFactory(username="customer", role=Role.CUSTOMER)


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def client_for():
    """``client_for(user)`` gives a logged-in test client."""
    return login
