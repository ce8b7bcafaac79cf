"""The demo's follow-ups: a dozen for product and finance, in every state, some overdue, the closed ones with
their resolution, linked to the conversations that talk about them; built the same way every time."""

from types import SimpleNamespace

from django.utils import timezone

from dabai.accounts.models import Role
from dabai.followups import demo, selectors
from dabai.followups.models import CaseMention, FollowUp, Notice, NoticeKind, Status
from dabai.testing import ConversationFactory, DepartmentFactory, MessageFactory, UserFactory


def _world(hotline):
    product = DepartmentFactory(slug="product", name="产品部")
    finance = DepartmentFactory(slug="finance", name="财务部")
    users = {
        "banzhang": UserFactory(username="banzhang", role=Role.SUPERVISOR, teams=[hotline]),
        "xiaoli": UserFactory(username="xiaoli", role=Role.AGENT, teams=[hotline]),
        "chanpin": UserFactory(username="chanpin", role=Role.DEPARTMENT, department=product),
        "caiwu": UserFactory(username="caiwu", role=Role.DEPARTMENT, department=finance),
    }
    for n, plan in enumerate(demo.PLANS * 2):
        conversation = ConversationFactory(team=hotline, assignee=users["xiaoli"], channel="phone")
        MessageFactory(
            conversation=conversation, body=f"第{n}位客户：{plan.keyword}的问题，电话1381234{n:04d}"
        )
    return SimpleNamespace(now=timezone.now(), seed=20240601, users=users)


def test_the_demo_has_a_dozen_follow_ups_in_every_state(hotline):
    world = _world(hotline)
    demo.seed_demo(world)
    items = list(FollowUp.objects.all())
    assert len(items) == 12
    assert {f.department.slug for f in items} == {"product", "finance"}
    assert {f.status for f in items} == set(Status.values)
    overdue = [f for f in items if selectors.is_overdue(f)]
    assert 3 <= len(overdue) <= 6
    for f in items:
        assert f.conversations.count() >= 1, f.title
        if f.status in {Status.DONE, Status.WONT_DO}:
            assert f.resolution_note
    assert Notice.objects.filter(recipient=world.users["xiaoli"], kind=NoticeKind.DONE).exists()
    assert CaseMention.objects.filter(member=world.users["chanpin"]).count() == 2
    assert CaseMention.objects.filter(answered_at__isnull=False).count() == 1


def test_the_demo_links_the_same_cases_every_time(hotline):
    world = _world(hotline)
    demo.seed_demo(world)
    first = {f.title: sorted(f.conversations.values_list("pk", flat=True)) for f in FollowUp.objects.all()}
    FollowUp.objects.all().delete()
    CaseMention.objects.all().delete()
    demo.seed_demo(world)
    again = {f.title: sorted(f.conversations.values_list("pk", flat=True)) for f in FollowUp.objects.all()}
    assert first == again
