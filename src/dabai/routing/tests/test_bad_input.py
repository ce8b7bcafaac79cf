"""Reports, CSV exports and the tier import under hostile input: text cells never run as spreadsheet formulas,
odd numbers in the query string or an import row are a 400 or a line error, never a 500."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dabai.core.choices import Channel
from dabai.routing import services
from dabai.routing.models import (
    ClockKind,
    ClockState,
    CustomerValue,
    RoutingDecision,
    RoutingRule,
    SlaBreach,
    SlaClock,
)
from dabai.testing import ConversationFactory, CustomerFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def assert_no_formula(rows: list[list[str]]) -> None:
    cells = [cell for row in rows for cell in row]
    assert cells
    assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS)], cells


def test_every_csv_export_writes_formula_looking_text_as_text(client_for, supervisor):
    team = TeamFactory(slug="evil", name='=HYPERLINK("http://evil.test")')
    conversation = ConversationFactory(team=team, channel=Channel.WECHAT)
    now = timezone.now()
    clock = SlaClock.objects.create(
        conversation=conversation,
        kind=ClockKind.FIRST_RESPONSE,
        state=ClockState.BREACHED,
        target_minutes=5,
        started_at=now,
        stopped_at=now,
        channel=Channel.WECHAT,
        team=team,
    )
    SlaBreach.objects.create(
        clock=clock, conversation=conversation, at=now, reason="@SUM(1+1)*cmd|' /C calc'!A0"
    )
    agent = UserFactory(display_name="-2+3+cmd|' /C calc'!A0")
    RoutingDecision.objects.create(
        conversation=conversation, agent=agent, rule=RoutingRule.SKILL, reason="+1+1", at=now
    )
    client = client_for(supervisor)
    for url in (
        "/routing/reports/attainment.csv?group==cmd|' /C calc'!A0",
        "/routing/reports/attainment.csv?group=team",
        "/routing/reports/breaches.csv",
        "/routing/reports/decisions.csv",
    ):
        rows = rows_of(client.get(url))
        assert_no_formula(rows)
    team_rows = rows_of(client.get("/routing/reports/attainment.csv?group=team"))
    assert team_rows[1][1] == '\'=HYPERLINK("http://evil.test")'  # shown as text, not dropped
    assert rows_of(client.get("/routing/reports/decisions.csv"))[1][2] == "'-2+3+cmd|' /C calc'!A0"


def test_decisions_export_masks_personal_data_variants(client_for, supervisor):
    RoutingDecision.objects.create(
        conversation=ConversationFactory(),
        rule=RoutingRule.SKILL,
        reason="customer asked to call 138.1234.5678",
        at=timezone.now(),
    )
    rows = rows_of(client_for(supervisor).get("/routing/reports/decisions.csv"))
    assert rows[1][4] == "customer asked to call 138.****.5678"


@pytest.mark.parametrize("days", ["²", "٣", "1e3", "-5", "9" * 5000, "30abc"])
def test_reports_and_csv_answer_400_to_a_days_that_is_not_a_number(client_for, supervisor, days):
    client = client_for(supervisor)
    assert client.get("/routing/reports/", {"days": days}).status_code == 400
    assert client.get("/routing/reports/attainment.csv", {"days": days}).status_code == 400


def test_reports_accept_a_plain_days_value(client_for, supervisor):
    client = client_for(supervisor)
    assert client.get("/routing/reports/", {"days": "7"}).status_code == 200
    assert client.get("/routing/reports/attainment.csv", {"days": "99999"}).status_code == 200
    assert client.get("/routing/reports/").status_code == 200


def test_tier_import_reports_odd_ids_and_spends_by_line(supervisor):
    customer = CustomerFactory()
    text = (
        "customer_id,tier,annual_spend\n"
        "²,vip,\n"
        f"{'9' * 30},vip,\n"
        f"{customer.pk},vip,NaN\n"
        f"{customer.pk},vip,Infinity\n"
        f"{customer.pk},vip,-Infinity\n"
        f"{customer.pk},vip,1e40\n"
        f"{customer.pk},vip,10000000000\n"
        f"{customer.pk},vip,1.005\n"
        f"{customer.pk},vip,-1\n"
        f"{customer.pk},vip,1234.5\n"
    )
    result = services.import_tiers(text, actor=supervisor)
    assert [line for line, _ in result.errors] == [2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert result.updated == 1
    assert CustomerValue.objects.get(customer=customer).annual_spend == Decimal("1234.50")


def test_tier_import_page_shows_line_errors_for_odd_numbers(client_for, supervisor):
    customer = CustomerFactory()
    upload = SimpleUploadedFile(
        "tiers.csv", f"customer_id,tier,annual_spend\n²,vip,\n{customer.pk},vip,1e40\n".encode()
    )
    response = client_for(supervisor).post("/routing/tiers/", {"file": upload})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-line="2"' in html and 'data-line="3"' in html
