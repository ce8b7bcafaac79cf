"""The demo centre loads the same realistic data every time, with working logins for every role."""

import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from dabai.accounts.models import Role, User
from dabai.conversations.models import Conversation, Insight, Message
from dabai.core.choices import Channel
from dabai.customers.models import Customer
from dabai.demo.builder import DEMO_LOGINS, DemoBuilder


def snapshot() -> list[tuple]:
    return list(
        Message.objects.order_by("id").values_list("conversation__channel", "direction", "body")[:200]
    )


@pytest.mark.django_db
def test_demo_is_deterministic_and_covers_every_channel():
    """The core centre alone (the apps' own demo parts add their history on top: see the next test)."""
    DemoBuilder(customers=15, conversations=60, app_parts=False).build()
    first = snapshot()
    assert Customer.objects.count() == 15
    assert Conversation.objects.count() == 60
    # Every channel of the centre's own (the API channel is whatever an integrator brings: none in the demo).
    assert set(Conversation.objects.values_list("channel", flat=True)) == set(Channel.values) - {Channel.API}
    assert Insight.objects.count() == Message.objects.filter(direction="inbound").count()
    Message.objects.all().delete()
    Conversation.objects.all().delete()
    Customer.objects.all().delete()
    User.objects.all().delete()
    DemoBuilder(customers=15, conversations=60, app_parts=False).build()
    assert snapshot() == first


def whole_demo() -> dict:
    """Every app's rows, counted, and every message's words: what two loads must share."""
    from django.apps import apps

    counts = {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model.__module__.startswith("dabai.")
    }
    # Numbers are left out: ids inside links differ between loads on PostgreSQL (flush leaves the sequences
    # where they were) and times in the text follow the clock, as the demo's timestamps do.
    bodies = sorted(
        (channel, direction, re.sub(r"\d+", "#", body))
        for channel, direction, body in Message.objects.values_list("channel", "direction", "body")
    )
    return {"counts": counts, "bodies": bodies}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_apps_demo_part_loads_and_the_whole_demo_is_deterministic():
    from dabai.demo.builder import app_demos

    assert {part.__module__ for part in app_demos()} >= {
        "dabai.followups.demo",
        "dabai.insights.demo",
        "dabai.programs.demo",
        "dabai.outreach.demo",
    }
    # Counted as what the demo adds: ``flush`` also empties what data migrations seeded (business hours,
    # SLA policies, synonyms, starter macros), so the second load starts from less than the first.
    before = whole_demo()["counts"]
    DemoBuilder(customers=15, conversations=60).build()
    first = whole_demo()
    assert first["counts"]["conversations.Conversation"] > 60, "the apps' parts add their own history"
    call_command("flush", "--no-input", verbosity=0)
    DemoBuilder(customers=15, conversations=60).build()
    second = whole_demo()
    added = {label: count - before[label] for label, count in first["counts"].items()}
    seeded = {label for label, count in before.items() if count}  # by data migrations, gone after flush
    assert {k: v for k, v in second["counts"].items() if added[k] != v and k not in seeded} == {}
    assert second["bodies"] == first["bodies"]


@pytest.mark.django_db
def test_every_printed_demo_login_works_and_has_its_role(capsys):
    call_command("demo", customers=10, conversations=20)
    out = capsys.readouterr().out
    for login in DEMO_LOGINS:
        assert f"{login.username}" in out and login.password in out
        assert Client().login(username=login.username, password=login.password)
        assert User.objects.get(username=login.username).role == login.role
    assert User.objects.get(username="kehu").customer.conversations.exists(), "the demo customer has history"
    assert {u.role for u in User.objects.all()} == set(Role.values)


@pytest.mark.django_db
def test_loading_the_demo_twice_is_refused_unless_asked_to_skip():
    call_command("demo", customers=5, conversations=5)
    with pytest.raises(CommandError):
        call_command("demo", customers=5, conversations=5)
    loaded = Conversation.objects.count()
    call_command("demo", customers=5, conversations=5, if_empty=True)
    assert Conversation.objects.count() == loaded
