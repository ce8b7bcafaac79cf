"""Outreach in the demo centre: scores for everyone, a reach-out, one past campaign with results and one
declared incident."""

import random
from datetime import timedelta

from dabai.channels.services import set_delivery_status
from dabai.conversations.models import DeliveryStatus
from dabai.customers.models import CustomerTag
from dabai.outreach.models import Campaign, CampaignKind
from dabai.outreach.services import campaigns, consent, health, incidents, reaching, wechat


def seed_demo(world) -> None:
    rng = random.Random(world.seed + 19)
    supervisor = world.users["banzhang"]
    area = CustomerTag.objects.get_or_create(name="朝阳区")[0]
    for customer in world.customers[: max(3, len(world.customers) // 4)]:
        customer.tags.add(area)
    for customer in world.customers[:12]:
        consent.set_form_of_address(customer, rng.choice(["先生", "女士", ""]))
        consent.set_care_opt_in(customer, rng.random() < 0.5)
    consent.unsubscribe([world.customers[-1].pk], "sms:reply")
    health.compute_scores(world.now)
    from dabai.outreach.models import HealthScore

    top = HealthScore.objects.order_by("-score", "-value").select_related("customer").first()
    if top is not None:
        reaching.reach_out(top.customer, supervisor)
    past = campaigns.create_campaign(
        actor=supervisor,
        name="千兆宽带免费提速",
        kind=CampaignKind.MARKETING,
        segment={"tags": ["朝阳区"]},
        sms_text="{name}您好，您的大白宽带可免费提速至千兆，回复1办理。",
        wechat_text="{name}您好，您的大白宽带可免费提速至千兆，点击菜单“我的宽带”办理。",
        email_subject="千兆宽带免费提速",
        email_text="尊敬的{name}：\n\n您的大白宽带可免费提速至千兆，回复本邮件即可办理。",
        wechat_template=wechat.add_wechat_template(
            name="服务通知",
            template_id="demo-service-notice",
            fields={"first": "{name}您好", "keyword1": "{title}", "remark": "{message}"},
            for_incidents=True,
        ),
    )
    campaigns.schedule(past, supervisor, when=world.now - timedelta(days=10))
    campaigns.start(past, world.now - timedelta(days=10))
    campaigns.send_batch(Campaign.objects.get(pk=past.pk), world.now - timedelta(days=10))
    sent = list(past.recipients.exclude(message=None).select_related("message"))
    for index, recipient in enumerate(sent):
        ok = index % 7 != 3
        set_delivery_status(
            recipient.message,
            DeliveryStatus.SENT if ok else DeliveryStatus.FAILED,
            provider_id=f"demo-{recipient.pk}" if ok else "",
            error="" if ok else "gateway: number not reachable",
        )
    incidents.declare(
        title="朝阳区宽带中断",
        service="宽带",
        areas="朝阳区",
        keywords="断网,上不了网,掉线",
        message="朝阳区部分小区宽带因光缆故障中断，抢修中，预计今晚20点前恢复，给您带来不便十分抱歉。",
        started_at=world.now - timedelta(hours=1),
        actor=supervisor,
    )
