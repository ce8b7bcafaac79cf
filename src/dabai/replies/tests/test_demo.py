"""The demo's canned replies: realistic, in every scope, several doing more than text, and safe to send."""

import re
from types import SimpleNamespace

import pytest
from django.utils import timezone

from dabai.accounts.models import Role
from dabai.customers.models import Customer, Gender
from dabai.replies import policy
from dabai.replies.demo import seed_demo
from dabai.replies.models import Macro, MacroScope
from dabai.testing import CustomerFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    teams = {slug: TeamFactory(slug=slug, name=slug) for slug in ("hotline", "online", "social")}
    users = {
        "admin": UserFactory(username="admin", role=Role.ADMIN, is_staff=True, is_superuser=True),
        "banzhang": UserFactory(username="banzhang", role=Role.SUPERVISOR, teams=list(teams.values())),
        "xiaoli": UserFactory(username="xiaoli", role=Role.AGENT, teams=[teams["hotline"]]),
        "xiaozhou": UserFactory(username="xiaozhou", role=Role.AGENT, teams=[teams["online"]]),
    }
    customers = [CustomerFactory(display_name=f"杜{n}") for n in range(30)]
    return SimpleNamespace(now=timezone.now(), seed=20261130, users=users, teams=teams, customers=customers)


def test_the_demo_ships_about_thirty_macros_in_every_scope_with_actions(world):
    seed_demo(world)
    seed_demo(world)  # loading twice adds nothing
    macros = list(Macro.objects.all())
    assert 30 <= len(macros) <= 40
    assert {m.scope for m in macros} == {MacroScope.CENTRE, MacroScope.TEAM, MacroScope.PERSONAL}
    assert sum(m.has_actions for m in macros) >= 15
    assert Macro.objects.filter(assign_team=world.teams["online"]).exists()
    assert len({m.title for m in macros}) == len(macros), "no two macros share a title"


def test_the_demo_macros_are_chinese_and_public_ones_carry_no_variables(world):
    seed_demo(world)
    for macro in Macro.objects.all():
        assert re.search(r"[\u4e00-\u9fff]", macro.body)
    for macro in Macro.objects.filter(team=world.teams["social"]):
        assert "{" not in macro.body, "a public Weibo answer names nobody and no order"
        assert policy.unfilled_blank(macro.body) is None


def test_the_demo_records_genders_for_about_two_customers_in_three(world):
    seed_demo(world)
    known = Customer.objects.exclude(gender=Gender.UNKNOWN).count()
    assert 10 <= known <= 28
