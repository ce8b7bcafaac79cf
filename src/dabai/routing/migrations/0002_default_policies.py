"""Default SLA targets that fit each channel, tiers and centre hours; all editable in the admin afterwards."""

from datetime import time
from decimal import Decimal

from django.db import migrations

# name, channel, public_only, first response, next response, resolution (minutes), 24/7
POLICIES = [
    ("Web chat", "chat", False, 1, 3, 240, True),
    ("WeChat", "wechat", False, 5, 15, 480, True),
    ("Public Weibo complaint", "weibo", True, 20, 30, 720, True),
    ("Weibo direct message", "weibo", False, 60, 60, 1440, True),
    ("Hotline callback", "phone", False, 1, 5, 480, True),
    ("Email (business hours)", "email", False, 240, 480, 1440, False),
    ("SMS (business hours)", "sms", False, 60, 120, 960, False),
]
TIERS = [
    ("premium", "全球通", 3, Decimal("3000"), 3, True),
    ("vip", "VIP", 2, Decimal("1000"), 0, True),
    ("regular", "普通", 0, Decimal("0"), 0, False),
]


def seed(apps, schema_editor):
    SlaPolicy = apps.get_model("routing", "SlaPolicy")
    TierPolicy = apps.get_model("routing", "TierPolicy")
    BusinessHours = apps.get_model("routing", "BusinessHours")
    for name, channel, public, first, following, resolution, always in POLICIES:
        SlaPolicy.objects.get_or_create(
            name=name,
            channel=channel,
            defaults={
                "public_only": public,
                "first_response_minutes": first,
                "next_response_minutes": following,
                "resolution_minutes": resolution,
                "always_open": always,
                "warn_before_minutes": 1 if first <= 5 else 10,
            },
        )
    for tier, label, rank, spend, years, expert in TIERS:
        TierPolicy.objects.get_or_create(
            tier=tier,
            defaults={
                "label": label,
                "rank": rank,
                "min_annual_spend": spend,
                "min_years": years,
                "routes_to_expert_seat": expert,
            },
        )
    if not BusinessHours.objects.filter(team__isnull=True).exists():
        BusinessHours.objects.create(team=None, time_zone="Asia/Shanghai", opens=time(9), closes=time(18))


class Migration(migrations.Migration):
    dependencies = [("routing", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
