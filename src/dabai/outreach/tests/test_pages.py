"""The supervisors' pages: at-risk list with reasons, reach out, campaign creation with a CSV, preview."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from dabai.outreach.models import Campaign, CampaignStatus, CareReminder, ReachOut
from dabai.outreach.services import care, consent, health

from .test_health import write

pytestmark = pytest.mark.django_db


def test_at_risk_list_explains_each_score_and_reaches_out(client_for, supervisor, agent, people):
    for _ in range(3):
        write(people["wang"], "我要销户", intent="cancellation")
    health.compute_scores()
    client = client_for(supervisor)
    page = client.get(reverse("outreach:at_risk"))
    text = page.content.decode()
    assert "王小明" in text and "+25" in text and "+16" in text
    response = client.post(reverse("outreach:reach_out", args=[people["wang"].pk]))
    assert response.status_code == 302 and ReachOut.objects.filter(customer=people["wang"]).exists()
    assert "→" in client.get(reverse("outreach:at_risk")).content.decode()
    assert client_for(agent).get(reverse("outreach:at_risk")).status_code == 403


def test_campaign_from_a_csv_previews_personalised_messages(client_for, supervisor, people):
    consent.set_form_of_address(people["li"], "女士")
    csv = SimpleUploadedFile("c.csv", b"channel,handle\nwechat,openid-li\nsms,139\n")
    response = client_for(supervisor).post(
        reverse("outreach:campaign_new"),
        {"name": "回访", "kind": "marketing", "wechat_text": "{name}您好，感谢支持", "customers_csv": csv},
        follow=True,
    )
    campaign = Campaign.objects.get()
    assert campaign.segment == {"customer_ids": [people["li"].pk]}
    text = response.content.decode()
    assert "李女士您好，感谢支持" in text and "line 3" in text
    client_for(supervisor).post(reverse("outreach:campaign_schedule", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SCHEDULED


def test_a_campaign_without_any_message_is_refused_with_a_reason(client_for, supervisor):
    response = client_for(supervisor).post(
        reverse("outreach:campaign_new"), {"name": "空", "kind": "marketing"}
    )
    assert response.status_code == 200 and not Campaign.objects.exists()


def test_festival_greeting_goes_only_to_customers_who_opted_in_on_the_lunar_date(people):
    consent.set_care_opt_in(people["wang"], True)
    mid_autumn = date(2026, 9, 25)  # 八月十五 in 2026
    campaign = care.festival_campaign(mid_autumn)
    assert campaign is not None and "中秋" in campaign.name
    assert care.festival_campaign(mid_autumn) == campaign  # once per festival and year
    assert care.festival_campaign(date(2026, 9, 24)) is None
    from dabai.outreach.services import campaigns

    campaigns.start(campaign)
    assert list(campaign.recipients.values_list("customer_id", flat=True)) == [people["wang"].pk]


def test_stuck_packages_from_the_logistics_feed_become_a_care_campaign(people):
    consent.set_care_opt_in(people["wang"], True)
    today = timezone.localdate()
    feed = (
        "kind,phone,reference,date\n"
        f"package_stuck,13900000001,SF123,{(today - timedelta(days=5)).isoformat()}\n"
        "package_stuck,13900000001,SF124,not-a-date\n"
    ).encode()
    stored, errors = care.import_reminders(feed)
    assert stored == 1 and errors == ["line 3: date must be YYYY-MM-DD"]
    (campaign,) = care.reminder_campaigns(today)
    assert campaign.segment["customer_ids"] == [people["wang"].pk]
    assert CareReminder.objects.get().campaign == campaign
    assert care.reminder_campaigns(today) == []
