"""The canned replies page: agents keep personal macros, supervisors curate team ones, both with actions."""

import pytest
from django.urls import reverse

from dabai.conversations.models import Status
from dabai.replies.models import Macro, MacroAssignment, MacroScope

pytestmark = pytest.mark.django_db


def test_an_agent_saves_a_personal_macro_that_also_tags_and_resolves(client_for, agent):
    client = client_for(agent)
    page = client.get(reverse("replies:macros")).content.decode()
    assert 'name="set_status"' in page and 'name="team"' not in page, "agents keep personal macros only"
    response = client.post(
        reverse("replies:macros"),
        {
            "title": "我的收尾",
            "body": "好的，祝您生活愉快！",
            "scope": MacroScope.PERSONAL,
            "set_status": Status.RESOLVED,
            "add_tags": "已回访，满意",
            "assignment": "",
        },
    )
    assert response.status_code == 302
    macro = Macro.objects.get(title="我的收尾")
    assert (macro.owner, macro.set_status, macro.add_tags) == (agent, Status.RESOLVED, ["已回访", "满意"])
    page = client.get(reverse("replies:macros")).content.decode()
    assert "已回访、满意" in page


def test_a_supervisor_saves_a_team_macro_that_hands_over(client_for, supervisor, hotline, online):
    response = client_for(supervisor).post(
        reverse("replies:macros"),
        {
            "title": "转在线组",
            "body": "您好，已为您转交在线组处理。",
            "scope": MacroScope.TEAM,
            "team": hotline.pk,
            "assign_team": online.pk,
        },
    )
    assert response.status_code == 302
    macro = Macro.objects.get(title="转在线组")
    assert (macro.team, macro.assign_team, macro.assignment) == (hotline, online, "")


def test_assigning_and_handing_over_at_once_is_refused_and_nothing_is_saved(client_for, supervisor, online):
    response = client_for(supervisor).post(
        reverse("replies:macros"),
        {
            "title": "矛盾",
            "body": "x",
            "scope": MacroScope.CENTRE,
            "assignment": MacroAssignment.SELF,
            "assign_team": online.pk,
        },
    )
    assert response.status_code == 200
    assert not Macro.objects.filter(title="矛盾").exists()
