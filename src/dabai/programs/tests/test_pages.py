"""The organiser's and participants' pages render for each kind of programme and do what their buttons say."""

from datetime import timedelta

from django.urls import reverse

from dabai.programs.models import Registration, RegStatus, SessionStatus
from dabai.programs.services import seats


def test_the_organiser_plans_a_training_day_from_the_pages(client_for, supervisor, make_member, product):
    staff = client_for(supervisor)
    created = staff.post(
        reverse("programs:organise"),
        {
            "name": "深层次用户体验培训",
            "kind": "training",
            "frequency": "bimonthly",
            "quotas": '{"product": 1}',
        },
    )
    assert created.status_code == 302
    programme_url = created["Location"]
    made = staff.post(
        programme_url,
        {
            "title": "第13期",
            "starts_at": "2030-03-01T09:00",
            "ends_at": "2030-03-01T17:00",
            "place": "上海客户服务中心",
            "room": "301",
            "capacity": 2,
            "offer_hours": 24,
        },
    )
    session_url = made["Location"]
    session_pk = int(session_url.rstrip("/").split("/")[-1])
    agenda = staff.post(
        reverse("programs:agenda", args=[session_pk]),
        {
            "starts_at": "2030-03-01T10:00",
            "ends_at": "2030-03-01T11:00",
            "kind": "observation",
            "title": "实时观摩",
        },
    )
    assert agenda.status_code == 302
    member = make_member("王产品")
    member_client = client_for(member)
    assert "第13期" in member_client.get(reverse("programs:front")).content.decode()
    member_client.post(reverse("programs:register", args=[session_pk]), {"motivation": "想了解用户"})
    assert Registration.objects.filter(user=member, session_id=session_pk).exists()
    staff.post(reverse("programs:select", args=[session_pk]), {"seed": "99"})
    page = staff.get(session_url).content.decode()
    assert 'data-testid="selection-seed">99<' in page and "实时观摩" in page
    sign = staff.get(reverse("programs:door_sign", args=[session_pk])).content.decode()
    assert "王产品" in sign and "301" in sign and "door_sign.css" in sign
    dashboard = staff.get(programme_url).content.decode()
    assert 'data-testid="dashboard-row"' in dashboard


def test_bad_planning_input_is_refused_with_a_reason(client_for, supervisor):
    staff = client_for(supervisor)
    bad = staff.post(
        reverse("programs:organise"), {"name": "x", "kind": "training", "frequency": "once", "quotas": "[1]"}
    )
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()


def test_each_kind_of_session_page_renders_its_own_tools(client_for, supervisor, make_session):
    staff = client_for(supervisor)
    for kind, marker in (
        ("training", 'data-testid="pair"'),
        ("meetup", 'data-testid="draw-form"'),
        ("visit", 'data-testid="sample-form"'),
    ):
        session = make_session(kind, capacity=3)
        html = staff.get(reverse("programs:session", args=[session.pk])).content.decode()
        assert marker in html, kind
        assert staff.get(reverse("programs:checkin", args=[session.pk])).status_code == 200
        assert staff.get(reverse("programs:staff_questions", args=[session.pk])).status_code == 200


def test_cancelling_a_session_tells_everyone_invited(
    client_for, supervisor, training, make_member, committed
):
    registration = seats.register_staff(training, make_member("王产品"))
    Registration.objects.filter(pk=registration.pk).update(
        status=RegStatus.SELECTED, invited_at=training.created_at
    )
    client_for(supervisor).post(reverse("programs:status", args=[training.pk]), {"status": "cancelled"})
    training.refresh_from_db()
    registration.refresh_from_db()
    assert training.status == SessionStatus.CANCELLED and registration.status == RegStatus.CANCELLED


def test_meetups_list_only_open_future_sessions(client, make_session):
    open_one = make_session("meetup", capacity=5, title="秋季用户见面会")
    past = make_session("meetup", capacity=5, days=-10, title="往期见面会")
    html = client.get(reverse("programs:meetups")).content.decode()
    assert open_one.title in html and past.title not in html
    assert client.get(reverse("programs:meetup", args=[past.pk])).status_code == 404
    assert past.starts_at < open_one.starts_at - timedelta(days=1)
