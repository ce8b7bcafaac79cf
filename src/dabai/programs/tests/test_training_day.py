"""A training day (深层次用户体验培训): selection by stated criteria, the invitation letter with its calendar
entry, side-by-side observation, discussion notes that become department follow-ups, certificates."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from dabai.accounts.models import Role
from dabai.conversations.models import Status
from dabai.followups.models import FollowUp
from dabai.programs.models import AgendaKind, Registration, RegStatus, SessionStatus
from dabai.programs.services import certificates, notes, observation, seats, selection
from dabai.programs.services import mail as programme_mail
from dabai.programs.tests.pdftext import pdf_text
from dabai.routing.models import AgentRouting, AgentState
from dabai.testing import ConversationFactory, MessageFactory, UserFactory, run_queued_tasks


def _calendar(message) -> Calendar:
    (part,) = [p for p in message.message().walk() if p.get_content_type() == "text/calendar"]
    return Calendar.from_ical(part.get_payload(decode=True))


def _event(calendar: Calendar):
    (event,) = calendar.walk("VEVENT")
    return event


@pytest.fixture
def registrants(training, make_member, finance):
    """Four from product (quota 2), two from finance; one product person attended a training day before."""
    people = [make_member(f"产品{i}") for i in range(4)] + [
        make_member(f"财务{i}", finance) for i in range(2)
    ]
    return [seats.register_staff(training, person) for person in people]


def test_selection_keeps_department_quotas_and_the_seed_reproduces_it(training, registrants, supervisor):
    candidates = list(Registration.objects.filter(session=training).select_related("department"))
    first = selection.plan_selection(training, candidates, seed=20260101)
    again = selection.plan_selection(training, candidates, seed=20260101)
    assert first == again
    chosen = [d for d in first if d.outcome == RegStatus.SELECTED]
    assert len(chosen) == training.capacity == 3
    assert sum(1 for d in chosen if d.department == "产品部") <= 2
    assert any(d.reason == "quota:2" for d in first)
    other = selection.plan_selection(training, candidates, seed=7)
    assert [d.lottery for d in other] != [d.lottery for d in first]


def test_first_timers_are_selected_before_people_who_came_before(
    make_session, make_member, supervisor, product
):
    earlier = make_session("training", capacity=5, days=-60, title="第11期")
    veteran = make_member("老朋友")
    Registration.objects.filter(pk=seats.register_staff(earlier, veteran).pk).update(
        status=RegStatus.ATTENDED
    )
    session = make_session("training", capacity=2, title="第12期")
    again = seats.register_staff(session, veteran)
    newcomers = [seats.register_staff(session, make_member(f"新人{i}")) for i in range(2)]
    assert not again.first_timer and all(r.first_timer for r in newcomers)
    for seed in range(5):
        plan = selection.plan_selection(session, [again, *newcomers], seed=seed)
        assert {d.registration_id for d in plan if d.outcome == "selected"} == {r.pk for r in newcomers}


def test_selecting_invites_the_chosen_with_a_calendar_request_and_lists_the_rest_in_order(
    training, registrants, supervisor, committed
):
    with committed():
        plan = selection.select_participants(training, actor=supervisor, seed=42)
    run_queued_tasks()
    training.refresh_from_db()
    assert training.status == SessionStatus.SELECTED and training.selection_seed == 42
    assert [row["rank"] for row in training.selection_log] == list(range(1, 7))
    selected = Registration.objects.filter(session=training, status=RegStatus.SELECTED)
    waiting = Registration.objects.filter(session=training, status=RegStatus.WAITING).order_by(
        "waiting_position"
    )
    assert selected.count() == 3 and [r.waiting_position for r in waiting] == [1, 2, 3]
    assert {m.to[0] for m in mail.outbox} == {r.email for r in selected}
    letter = mail.outbox[0]
    assert letter.subject.startswith("【邀请函】深层次用户体验培训")
    assert "=?utf-8?" in letter.message().as_string().lower()  # the Chinese subject as an encoded-word
    calendar = _calendar(letter)
    assert str(calendar["METHOD"]) == "REQUEST"
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Asia/Shanghai"
    event = _event(calendar)
    assert event["DTSTART"].dt == training.starts_at
    assert str(event["DTSTART"].dt.tzinfo) == "Asia/Shanghai"
    assert int(event["SEQUENCE"]) == 0
    assert "3楼培训室" in str(event["LOCATION"])
    assert len(plan) == 6


def test_updates_and_cancellations_send_the_same_uid_with_a_higher_sequence(
    training, make_member, supervisor, committed
):
    person = make_member("王产品")
    with committed():
        registration = seats.register_staff(training, person)
        selection.select_participants(training, actor=supervisor, seed=1)
    run_queued_tasks()
    first = _event(_calendar(mail.outbox[-1]))
    with committed():
        training.changes_since_last = "增加了案例分析环节"
        training.save()
        programme_mail.notify_session_changed(training)
    run_queued_tasks()
    update = mail.outbox[-1]
    assert "日程更新" in update.subject and "增加了案例分析环节" in update.body
    second = _event(_calendar(update))
    with committed():
        seats.cancel(registration.__class__.objects.get(pk=registration.pk))
    run_queued_tasks()
    cancelled = _calendar(mail.outbox[-1])
    third = _event(cancelled)
    assert str(first["UID"]) == str(second["UID"]) == str(third["UID"])
    assert int(first["SEQUENCE"]) < int(second["SEQUENCE"]) < int(third["SEQUENCE"])
    assert str(cancelled["METHOD"]) == "CANCEL" and str(third["STATUS"]) == "CANCELLED"


def test_a_selected_person_who_declines_frees_the_seat_for_the_first_on_the_waiting_list(
    training, registrants, supervisor
):
    selection.select_participants(training, actor=supervisor, seed=3)
    chosen = Registration.objects.filter(session=training, status=RegStatus.SELECTED).first()
    first_waiting = Registration.objects.get(session=training, waiting_position=1)
    seats.decline(chosen)
    first_waiting.refresh_from_db()
    assert first_waiting.status == RegStatus.OFFERED


def test_reminders_go_to_who_has_not_answered_at_most_twice(training, registrants, supervisor, committed):
    from dabai.programs.services import reminders

    with committed():
        selection.select_participants(training, actor=supervisor, seed=5)
    run_queued_tasks()
    mail.outbox.clear()
    answered = Registration.objects.filter(session=training, status=RegStatus.SELECTED).first()
    seats.accept(answered)
    for _ in range(3):
        with committed():
            reminders.remind_unanswered(training.pk)
    run_queued_tasks()
    assert len(mail.outbox) == 2 * 2  # two unanswered people, two reminders each, none for who accepted
    assert answered.email not in {m.to[0] for m in mail.outbox}


@pytest.fixture
def on_shift(hotline):
    """Two agents on shift (one busy) and one on a break."""
    agents = {}
    for name, state in (
        ("agent-a", AgentState.AVAILABLE),
        ("agent-b", AgentState.AVAILABLE),
        ("agent-c", AgentState.BREAK),
    ):
        agents[name] = UserFactory(username=name, role=Role.AGENT, teams=[hotline])
        AgentRouting.objects.create(user=agents[name], state=state)
    busy = ConversationFactory(
        assignee=agents["agent-a"], team=hotline, status=Status.OPEN, subject="宽带故障"
    )
    MessageFactory(conversation=busy, body="我的手机号13812345678，宽带三天没修好了")
    return agents


def _attending(training, make_member, names):
    result = []
    for name in names:
        registration = seats.register_staff(training, make_member(name))
        Registration.objects.filter(pk=registration.pk).update(status=RegStatus.ATTENDED)
        registration.refresh_from_db()
        result.append(registration)
    return result


def test_participants_sit_with_agents_on_shift_never_with_one_on_a_break(
    training, make_member, supervisor, on_shift
):
    participants = _attending(training, make_member, ["甲", "乙", "丙"])
    observation.pair_observers(training, actor=supervisor)
    agents = {
        r.observed_agent.username for r in Registration.objects.filter(pk__in=[p.pk for p in participants])
    }
    assert agents == {"agent-a", "agent-b"}


def test_the_side_by_side_view_is_masked_read_only_and_only_for_the_participant(
    training, make_member, supervisor, on_shift, client_for
):
    seats.add_agenda_item(
        training,
        starts_at=training.starts_at,
        ends_at=training.starts_at + timedelta(hours=1),
        kind=AgendaKind.OBSERVATION,
        title="实时观摩",
    )
    (mine,) = _attending(training, make_member, ["观摩者"])
    Registration.objects.filter(pk=mine.pk).update(observed_agent=on_shift["agent-a"])
    page = client_for(mine.user).get(reverse("programs:observe", args=[mine.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "宽带三天没修好了" in html and "13812345678" not in html and "138****5678" in html
    assert "<textarea" not in html and 'hx-trigger="every 10s"' in html
    other = make_member("别人")
    assert client_for(other).get(reverse("programs:observe", args=[mine.pk])).status_code == 404


def test_the_side_by_side_view_closes_after_the_session(training, make_member, on_shift, client_for):
    (mine,) = _attending(training, make_member, ["观摩者"])
    Registration.objects.filter(pk=mine.pk).update(observed_agent=on_shift["agent-a"])
    training.ends_at = timezone.now() - timedelta(hours=2)
    training.starts_at = training.ends_at - timedelta(hours=6)
    training.save()
    assert client_for(mine.user).get(reverse("programs:observe", args=[mine.pk])).status_code == 403


def test_a_cooperation_intention_becomes_the_named_departments_follow_up(training, supervisor, finance):
    note = notes.add_note(
        training,
        topic="退款到账慢",
        conclusion="用户不清楚退款需要3-5个工作日",
        author=supervisor,
        intentions=[(finance, "在退款页面写明到账时间")],
    )
    (intention,) = note.intentions.all()
    followup = FollowUp.objects.get(pk=intention.followup_id)
    assert followup.department == finance and followup.source == "programme"
    assert followup.source_ref == f"programs:session:{training.pk}:intention:{intention.pk}"
    assert "在退款页面写明到账时间" in followup.description


def test_certificates_carry_the_chinese_name_and_a_code_that_the_public_page_verifies(
    training, make_member, supervisor, client
):
    (attendee,) = _attending(training, make_member, ["王小明"])
    certificates.issue(attendee, actor=supervisor)
    attendee.refresh_from_db()
    text = pdf_text(certificates.render_pdf(attendee))
    assert "王小明" in text and attendee.certificate_code in text and "深层次用户体验培训" in text
    assert certificates.issue(attendee, actor=supervisor).certificate_code == attendee.certificate_code
    page = client.get(reverse("programs:verify_code", args=[attendee.certificate_code]))
    html = page.content.decode()
    assert page.status_code == 200 and "王小明" in html and "深层次用户体验培训" in html
    assert attendee.email not in html and attendee.department.name not in html
    forged = client.get(reverse("programs:verify_code", args=["ABCDEFGHJK"]))
    assert forged.status_code == 404 and 'data-testid="certificate-invalid"' in forged.content.decode()


def test_only_attendees_receive_a_certificate(training, make_member, supervisor):
    registration = seats.register_staff(training, make_member("没来的人"))
    with pytest.raises(certificates.CertificateError):
        certificates.issue(registration, actor=supervisor)


def test_a_missing_font_is_a_clear_error(training, make_member, supervisor, settings):
    (attendee,) = _attending(training, make_member, ["王小明"])
    certificates.issue(attendee, actor=supervisor)
    settings.DABAI_CJK_FONT = "/nonexistent/font.ttc"
    with pytest.raises(certificates.CertificateError, match="DABAI_CJK_FONT"):
        certificates.render_pdf(attendee)
