"""The listening pages: who may open them, the upload, the alerts."""

import json

import pytest
from django.urls import reverse

from dabai.listening.models import BurstAlert, Mention

from .conftest import status

pytestmark = pytest.mark.django_db


def test_agents_see_mentions_masked_with_reach_departments_do_not(
    brand, agent, department_member, client_for
):
    from dabai.listening import services
    from dabai.listening.sources import READERS

    data = json.dumps([status(7001, "大白宽带断网三天了，我电话13812345678没人回")]).encode()
    services.ingest(READERS["weibo"].read(data))
    page = client_for(agent).get(reverse("listening:mentions"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "138****5678" in text and "13812345678" not in text and "12000" in text
    mention = Mention.objects.get()
    assert client_for(agent).get(reverse("listening:mention", args=[mention.pk])).status_code == 200
    assert client_for(department_member).get(reverse("listening:mentions")).status_code == 403
    assert client_for(agent).get(reverse("listening:alerts")).status_code == 403


def test_supervisor_uploads_an_export_and_sees_what_was_skipped(brand, supervisor, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    export = json.dumps([status(7002, "大白宽带断网，投诉！"), {"id": 1}]).encode()
    response = client_for(supervisor).post(
        reverse("listening:upload"),
        {"kind": "weibo", "file": SimpleUploadedFile("export.json", export)},
        follow=True,
    )
    text = response.content.decode()
    assert Mention.objects.count() == 1 and "item 2" in text


def test_supervisor_acknowledges_an_alert(brand, supervisor, client_for):
    from django.utils import timezone

    alert = BurstAlert.objects.create(topic="大白", window_start=timezone.now(), count=20, usual=1)
    client_for(supervisor).post(reverse("listening:alert_acknowledge", args=[alert.pk]))
    alert.refresh_from_db()
    assert alert.acknowledged_by == supervisor
