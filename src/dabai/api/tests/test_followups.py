"""Follow-ups through the API: what a token may see, masked as the portal shows it, and writes through the
follow-ups' services (their log, their notices, their audit) plus the API's entry with the token's name."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dabai.accounts.models import AuditEntry, Role
from dabai.followups import services as followup_services
from dabai.followups.models import EventKind, FollowUp, Notice, Status
from dabai.testing import ConversationFactory, CustomerFactory, DepartmentFactory, MessageFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(db):
    department = DepartmentFactory(slug="product", name="产品部")
    UserFactory(username="chanpin", role=Role.DEPARTMENT, department=department)
    return department


@pytest.fixture
def hot_case(hotline):
    conversation = ConversationFactory(customer=CustomerFactory(display_name="王小明"), team=hotline)
    MessageFactory(conversation=conversation, body="我叫王小明，手机13812345678，APP一升级就闪退")
    return conversation


@pytest.fixture
def online_case(online):
    conversation = ConversationFactory(customer=CustomerFactory(display_name="李雷"), team=online)
    MessageFactory(conversation=conversation, body="退款一周了还没到账")
    return conversation


def test_an_integration_opens_a_followup_linked_to_cases_and_the_department_hears_of_it(
    api_for, product, hot_case
):
    client = api_for("write:followups", "read:followups", name="Ticket bridge")
    response = client.post(
        "/api/v1/followups",
        {
            "title": "王小明反映 APP 闪退 13812345678",
            "department_id": product.pk,
            "conversation_ids": [hot_case.pk],
            "due": (timezone.localdate() + timedelta(days=3)).isoformat(),
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert "13812345678" not in body["title"] and "王小明" not in body["title"]
    assert body["conversation_ids"] == [hot_case.pk] and body["status"] == "open"
    assert "13812345678" not in body["cases"][0]["summary"]
    assert [e["kind"] for e in body["events"]] == ["opened"]
    item = FollowUp.objects.get(pk=body["id"])
    assert item.opened_by == client.api_token.service_user
    assert Notice.objects.filter(followup=item, recipient__username="chanpin").exists()
    entry = AuditEntry.objects.get(action="api.followup.open")
    assert entry.detail["token"] == "Ticket bridge" and entry.object_id == str(item.pk)
    assert AuditEntry.objects.filter(action="followup.open", object_id=str(item.pk)).exists()


def test_bad_input_names_the_field_and_opens_nothing(api_for, product, hot_case):
    client = api_for("write:followups")
    response = client.post("/api/v1/followups", {"title": "x", "department_id": 999_999})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "department_id"
    response = client.post(
        "/api/v1/followups",
        {"title": "x", "department_id": product.pk, "conversation_ids": [hot_case.pk, 999]},
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "conversation_ids"
    response = client.post("/api/v1/followups", {"title": "   ", "department_id": product.pk})
    assert response.status_code == 422
    assert not FollowUp.objects.exists()


def test_a_team_token_sees_only_followups_of_its_teams_cases(
    api_for, product, hot_case, online_case, hotline
):
    mine = followup_services.open_followup(
        title="闪退", department=product, opened_by=None, conversations=[hot_case]
    )
    theirs = followup_services.open_followup(
        title="退款慢", department=product, opened_by=None, conversations=[online_case]
    )
    unlinked = followup_services.open_followup(title="话题", department=product, opened_by=None)
    limited = api_for("read:followups", teams=[hotline])
    assert [f["id"] for f in limited.get("/api/v1/followups").json()["items"]] == [mine.pk]
    assert limited.get(f"/api/v1/followups/{theirs.pk}").status_code == 404
    everyone = api_for("read:followups")
    ids = [f["id"] for f in everyone.get("/api/v1/followups").json()["items"]]
    assert ids == [unlinked.pk, theirs.pk, mine.pk]
    assert api_for("read:conversations").get("/api/v1/followups").status_code == 403


def test_the_list_filters_and_pages_by_cursor(api_for, product):
    finance = DepartmentFactory(slug="finance", name="财务部")
    yesterday = timezone.localdate() - timedelta(days=1)
    late = followup_services.open_followup(title="逾期", department=product, opened_by=None, due=yesterday)
    money = followup_services.open_followup(title="退款规则", department=finance, opened_by=None)
    done = followup_services.open_followup(title="已修复", department=product, opened_by=None)
    followup_services.change_status(done, Status.DONE, actor=None, note="已在 3.2 版修复")
    client = api_for("read:followups")
    assert [f["id"] for f in client.get("/api/v1/followups", {"overdue": "true"}).json()["items"]] == [
        late.pk
    ]
    by_department = client.get("/api/v1/followups", {"department_id": finance.pk}).json()["items"]
    assert [f["id"] for f in by_department] == [money.pk]
    assert [f["id"] for f in client.get("/api/v1/followups", {"status": "done"}).json()["items"]] == [done.pk]
    first = client.get("/api/v1/followups", {"status": "all", "limit": 2}).json()
    assert [f["id"] for f in first["items"]] == [done.pk, money.pk]
    second = client.get(
        "/api/v1/followups", {"status": "all", "limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert [f["id"] for f in second["items"]] == [late.pk] and second["next_cursor"] is None
    assert client.get("/api/v1/followups", {"cursor": "garbage"}).json()["error"]["code"] == "invalid_cursor"


def test_reading_one_is_audited(api_for, product, hot_case):
    item = followup_services.open_followup(
        title="闪退", department=product, opened_by=None, conversations=[hot_case]
    )
    client = api_for("read:followups")
    response = client.get(f"/api/v1/followups/{item.pk}")
    assert response.status_code == 200
    assert AuditEntry.objects.filter(actor=client.api_token.service_user, object_id=str(item.pk)).exists()


def test_status_changes_follow_the_rules_and_closing_needs_a_note(api_for, product, hot_case):
    item = followup_services.open_followup(
        title="闪退", department=product, opened_by=None, conversations=[hot_case]
    )
    client = api_for("write:followups", name="Jira")
    response = client.post(f"/api/v1/followups/{item.pk}/status", {"status": "done"})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "note"
    item.refresh_from_db()
    assert item.status == Status.OPEN
    response = client.post(f"/api/v1/followups/{item.pk}/status", {"status": "in_progress"})
    assert response.status_code == 200 and response.json()["status"] == "in_progress"
    response = client.post(
        f"/api/v1/followups/{item.pk}/status", {"status": "done", "note": "3.2 版已修复，客户电话13812345678"}
    )
    body = response.json()
    assert body["status"] == "done" and "13812345678" not in body["resolution_note"]
    assert AuditEntry.objects.filter(action="api.followup.status").count() == 2
    response = client.post(f"/api/v1/followups/{item.pk}/status", {"status": "in_progress"})
    assert response.status_code == 422  # done may only go back to open
    assert response.json()["error"]["fields"][0]["field"] == "status"


def test_a_comment_is_logged_masked_and_audited(api_for, product, hot_case):
    item = followup_services.open_followup(
        title="闪退", department=product, opened_by=None, conversations=[hot_case]
    )
    client = api_for("write:followups", name="CRM")
    response = client.post(f"/api/v1/followups/{item.pk}/comments", {"body": "又有客户来电，号码13987654321"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "comment" and "13987654321" not in body["body"]
    assert item.events.filter(kind=EventKind.COMMENT).count() == 1
    assert AuditEntry.objects.get(action="api.followup.comment").detail["token"] == "CRM"
    assert client.post(f"/api/v1/followups/{item.pk}/comments", {"body": "  "}).status_code == 422
    assert (
        api_for("read:followups").post(f"/api/v1/followups/{item.pk}/comments", {"body": "x"}).status_code
        == 403
    )


def test_admin_implies_the_followup_scopes(api_for, product):
    assert api_for("admin").get("/api/v1/followups").status_code == 200
