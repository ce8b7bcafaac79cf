"""Care moments: festival greetings on the right lunar or solar day, and reminders before something bites
(a contract or warranty ending, a package stuck for days). Both are campaigns of kind "care": only customers
who opted in get them, and the marketing frequency cap and unsubscribes apply.
"""

import csv
import io
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from dabai.customers.models import ChannelIdentity, Customer
from dabai.outreach.models import Campaign, CampaignKind, CareKind, CareReminder
from dabai.replies.festivals import festival_on

REMIND_DAYS_AHEAD = {CareKind.CONTRACT_END: 14, CareKind.WARRANTY_END: 14}
STUCK_AFTER_DAYS = 3
SIGNATURE = "——大白客服"
REMINDER_TEXTS = {
    CareKind.CONTRACT_END: (
        "{name}您好，您的合约即将到期。如需续约或了解新套餐，回复本消息即可，我们随时为您服务。"
    ),
    CareKind.WARRANTY_END: (
        "{name}您好，您的产品保修即将到期。如有任何使用问题，欢迎在到期前联系我们免费检修。"
    ),
    CareKind.PACKAGE_STUCK: (
        "{name}您好，我们注意到您的包裹已有几天没有更新物流信息，已在为您跟进，有进展会第一时间告诉您。"
    ),
}


def festival_campaign(day: date) -> Campaign | None:
    """Today's festival greeting (once per festival and year), scheduled at once; None on ordinary days."""
    from dabai.outreach.services.campaigns import schedule

    festival = festival_on(day)
    if festival is None:
        return None
    name = f"{festival.name}问候 {day.year}"
    try:
        with transaction.atomic():
            campaign, created = Campaign.objects.get_or_create(
                name=name,
                kind=CampaignKind.CARE,
                defaults={
                    "segment": {"care": "festival", "festival": festival.key},
                    "sms_text": f"{{name}}您好，{festival.short}{SIGNATURE}",
                    "wechat_text": f"{{name}}您好，{festival.short}{SIGNATURE}",
                    "email_subject": f"{festival.name}快乐",
                    "email_text": f"尊敬的{{name}}：\n\n{festival.formal}\n\n{SIGNATURE}",
                },
            )
    except IntegrityError:
        return None
    return schedule(campaign, None) if created else campaign


def reminder_campaigns(day: date) -> list[Campaign]:
    """One campaign per kind of reminder due today, naming the customers whose reminder falls due."""
    from dabai.outreach.services.campaigns import schedule

    made = []
    for kind, text in REMINDER_TEXTS.items():
        rows = CareReminder.objects.filter(kind=kind, campaign__isnull=True)
        if kind == CareKind.PACKAGE_STUCK:
            rows = rows.filter(due_on__lte=day - timedelta(days=STUCK_AFTER_DAYS))
        else:
            rows = rows.filter(due_on__gte=day, due_on__lte=day + timedelta(days=REMIND_DAYS_AHEAD[kind]))
        customers = sorted(set(rows.values_list("customer_id", flat=True)))
        if not customers:
            continue
        with transaction.atomic():
            campaign = Campaign.objects.create(
                name=f"{CareKind(kind).label} {day.isoformat()}",
                kind=CampaignKind.CARE,
                segment={"customer_ids": customers, "care": kind},
                sms_text=text,
                wechat_text=text,
                email_subject=str(CareKind(kind).label),
                email_text=text,
            )
            rows.filter(customer_id__in=customers).update(campaign=campaign)
        made.append(schedule(campaign, None))
    return made


def run_due(now: datetime | None = None) -> int:
    day = timezone.localdate(now or timezone.now())
    festival = festival_campaign(day)
    return len(reminder_campaigns(day)) + (1 if festival else 0)


def import_reminders(data: bytes) -> tuple[int, list[str]]:
    """Reminders from a CSV (``kind,customer_id or phone,reference,date``: a contract or warranty end, or a
    waybill's last movement from the logistics feed); returns (stored, errors by line number)."""
    try:
        reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    except UnicodeDecodeError:
        return 0, ["line 1: the file is not UTF-8 text"]
    stored, errors = 0, []
    for line, row in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        kind = row.get("kind", "")
        if kind not in CareKind.values or kind == CareKind.FESTIVAL:
            errors.append(f"line {line}: unknown kind {kind!r}")
            continue
        customer = None
        if row.get("customer_id", "").isdigit():
            customer = Customer.objects.filter(pk=int(row["customer_id"])).first()
        elif row.get("phone"):
            identity = (
                ChannelIdentity.objects.filter(external_id=row["phone"]).select_related("customer").first()
            )
            customer = identity.customer if identity else None
        if customer is None:
            errors.append(f"line {line}: no such customer")
            continue
        try:
            due = date.fromisoformat(row.get("date", ""))
        except ValueError:
            errors.append(f"line {line}: date must be YYYY-MM-DD")
            continue
        if not row.get("reference"):
            errors.append(f"line {line}: reference is empty")
            continue
        CareReminder.objects.update_or_create(
            customer=customer, kind=kind, reference=row["reference"][:100], defaults={"due_on": due}
        )
        stored += 1
    return stored, errors
