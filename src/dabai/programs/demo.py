"""The demo's programmes: a past and an upcoming session of each kind (training day, customer visit, meet-up).

Everything goes through the services; past sessions are recorded without writing to anyone (``notify=False``,
``send=False``). Product (``chanpin``) and finance (``caiwu``) take part in training days and visits.
"""

import random
from datetime import datetime, timedelta

from django.utils import timezone

from dabai.accounts.models import Role, User
from dabai.accounts.services import create_staff_user
from dabai.programs.models import AgendaKind, Frequency, Kind, Registration, RegStatus, Session, SessionStatus
from dabai.programs.services import (
    certificates,
    feedback,
    meetup,
    notes,
    observation,
    seats,
    selection,
    visits,
)

AGENDA = [
    (0, 90, AgendaKind.CLASSROOM, "客户服务中心概况、服务渠道与用户的主要痛点"),
    (105, 195, AgendaKind.OBSERVATION, "Side by side：坐在坐席身边实时观摩"),
    (270, 360, AgendaKind.DISCUSSION, "典型案例分析与讨论"),
]
MEETUP_AGENDA = [
    (0, 30, AgendaKind.CLASSROOM, "新政策与新功能发布"),
    (30, 90, AgendaKind.QA, "现场答疑"),
    (90, 110, AgendaKind.QA, "有奖问答"),
]
QUESTIONS = ["退款一般多久到账？", "会员积分什么时候能抵扣运费？", "晚上十点以后还能找人工客服吗？"]
COMMENTS = ["观摩时间太短，希望延长。", "讨论环节收获很大。", ""]


def _day(now: datetime, days: int, hour: int) -> datetime:
    local = timezone.localtime(now) + timedelta(days=days)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


def _session(programme, title: str, start: datetime, hours: int, capacity: int, agenda, **kwargs) -> Session:
    session = seats.create_session(
        programme,
        title=title,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        place="上海客户服务中心",
        room=kwargs.pop("room", "3楼培训室"),
        capacity=capacity,
        **kwargs,
    )
    for begin, end, kind, item in agenda:
        seats.add_agenda_item(
            session,
            starts_at=start + timedelta(minutes=begin),
            ends_at=start + timedelta(minutes=end),
            kind=kind,
            title=item,
        )
    return session


def _colleagues(world) -> list[User]:
    """Three more people from product and finance, so selection has someone to choose between."""
    product, finance = world.users["chanpin"].department, world.users["caiwu"].department
    people = []
    for username, name, department in (
        ("sun.product", "产品部孙设计师", product),
        ("zhou.product", "产品部周经理", product),
        ("li.finance", "财务部李会计", finance),
    ):
        user = User.objects.filter(username=username).first() or create_staff_user(
            username, "", Role.DEPARTMENT, display_name=name, department=department
        )
        user.set_unusable_password()
        user.email = f"{username}@example.cn"
        user.save(update_fields=["password", "email"])
        people.append(user)
    return people


def _hold(session: Session, organiser: User, seed: int) -> list[Registration]:
    """Select, accept and check everyone chosen in, as happened on the day."""
    selection.select_participants(session, actor=organiser, seed=seed, notify=False)
    present = []
    for registration in Registration.objects.filter(session=session, status=RegStatus.SELECTED):
        seats.accept(registration, notify=False)
        seats.check_in(registration, actor=organiser)
        present.append(registration)
    return present


def _training(world, rng: random.Random, organiser: User, members: list[User]) -> None:
    programme = seats.create_programme(
        name="深层次用户体验培训",
        kind=Kind.TRAINING,
        frequency=Frequency.BIMONTHLY,
        description="参观客户服务中心、课堂培训、实时观摩与讨论，结业颁发证书。",
        quotas={"product": 3, "finance": 2},
    )
    past = _session(programme, "第11期", _day(world.now, -45, 9), 7, 4, AGENDA)
    for member in members:
        seats.register_staff(past, member, motivation="想直接听到用户的声音")
    present = _hold(past, organiser, seed=rng.randrange(10**6))
    observation.pair_observers(past, actor=organiser)
    finance = world.users["caiwu"].department
    notes.add_note(
        past,
        topic="退款到账时间",
        conclusion="很多来电是问退款何时到账：页面上没有写明3-5个工作日。",
        author=organiser,
        intentions=[(finance, "在退款页面和短信里写明到账时间")],
    )
    certificates.issue_all(past, actor=organiser)
    if present:
        _answer_survey(past, organiser, rng)
    seats.set_status(past, SessionStatus.DONE, actor=organiser)
    upcoming = _session(
        programme,
        "第12期",
        _day(world.now, 20, 9),
        7,
        6,
        AGENDA,
        changes_since_last="根据第11期的反馈，实时观摩延长到90分钟，并增加一个退款案例分析。",
    )
    for member in (world.users["chanpin"], world.users["caiwu"]):
        seats.register_staff(upcoming, member, motivation="希望了解退款相关的投诉")


def _answer_survey(session: Session, organiser: User, rng: random.Random) -> None:
    from dabai.surveys.models import Invitation
    from dabai.surveys.services import submit_response

    feedback.send_feedback_survey(session, actor=organiser, send=False)
    session.refresh_from_db()
    invitations = list(Invitation.objects.filter(survey_id=session.survey_id).order_by("pk"))
    for number, invitation in enumerate(
        invitations[:-1]
    ):  # one person has not answered yet (a reminder is due)
        questions = list(invitation.survey.questions.all())
        answers = {
            questions[0].pk: rng.choice([4, 5, 5]),
            questions[1].pk: rng.choice([8, 9, 10]),
            questions[2].pk: rng.choice(questions[2].choices),
        }
        comment = COMMENTS[number % len(COMMENTS)]
        if comment:
            answers[questions[3].pk] = comment
        submit_response(invitation, answers)


def _meetups(world, rng: random.Random, organiser: User) -> None:
    programme = seats.create_programme(
        name="用户见面会",
        kind=Kind.MEETUP,
        frequency=Frequency.QUARTERLY,
        description="发布新政策、现场答疑、有奖问答。",
    )
    past = _session(
        programme, "秋季用户见面会", _day(world.now, -60, 14), 2, 30, MEETUP_AGENDA, room="1楼多功能厅"
    )
    people = []
    for number, customer in enumerate(world.customers[:8]):
        signed = seats.register_public(
            past, name=customer.display_name, email=f"meetup{number}@example.cn", consent=True, notify=False
        )
        people.append(signed.registration)
    for registration in people[:6]:
        seats.check_in(registration, actor=organiser)
    for number, text in enumerate(QUESTIONS):
        question = meetup.ask(people[number], text)
        for voter in people[: 6 - number]:
            meetup.upvote(voter, question)
        if number < 2:
            meetup.mark_answered(question, actor=organiser)
    meetup.prize_draw(past, winners=2, seed=rng.randrange(10**6), actor=organiser)
    seats.set_status(past, SessionStatus.DONE, actor=organiser)
    upcoming = _session(
        programme, "春季用户见面会", _day(world.now, 30, 14), 2, 40, MEETUP_AGENDA, room="1楼多功能厅"
    )
    for number, customer in enumerate(world.customers[8:11]):
        seats.register_public(
            upcoming,
            name=customer.display_name,
            email=f"spring{number}@example.cn",
            consent=True,
            notify=False,
        )


def _visits(world, rng: random.Random, organiser: User) -> None:
    programme = seats.create_programme(
        name="用户拜访",
        kind=Kind.VISIT,
        frequency=Frequency.BIMONTHLY,
        description="登门拜访用户，收集反馈意见。",
    )
    past = _session(programme, "拜访长期用户", _day(world.now, -20, 10), 3, 3, [], room="")
    for member in (world.users["chanpin"], world.users["caiwu"]):
        seats.register_staff(past, member)
    _hold(past, organiser, seed=rng.randrange(10**6))
    for picked in visits.sample_customers(criterion="random", size=2, seed=rng.randrange(10**6)):
        planned = visits.add_visit_customer(past, picked.customer, reason=picked.reason, actor=organiser)
        visits.record_consent(planned, how="电话征得同意", actor=organiser)
        visits.record_feedback(
            planned,
            feedback="退货要自己垫付运费，等退款又要一周，体验不好。希望能上门取件。",
            summary="产品部会评估上门取件；财务部核对退款时效。",
            actor=organiser,
        )
    seats.set_status(past, SessionStatus.DONE, actor=organiser)
    upcoming = _session(programme, "拜访VIP用户", _day(world.now, 25, 10), 3, 3, [], room="")
    seats.register_staff(upcoming, world.users["chanpin"])
    for picked in visits.sample_customers(criterion="tier", value="vip", size=2, seed=rng.randrange(10**6)):
        visits.add_visit_customer(upcoming, picked.customer, reason=picked.reason, actor=organiser)


def seed_demo(world) -> None:
    rng = random.Random(f"{world.seed}:programs")
    organiser = world.users["banzhang"]
    members = [world.users["chanpin"], world.users["caiwu"], *_colleagues(world)]
    _training(world, rng, organiser, members)
    _meetups(world, rng, organiser)
    _visits(world, rng, organiser)
