"""The demo's quality part: outcomes of the demo's resolved conversations, last week's review cycle with a few
reviews and coaching notes, and one calibration round with two reviewers (through quality's services)."""

import random
from datetime import timedelta

from django.utils import timezone

from dabai.conversations.models import Conversation
from dabai.quality import reviews, services
from dabai.quality.models import Verdict

QUESTIONS = [
    ("问题解决了吗？", "客户的问题在这次联系里真正解决了，或者客户清楚知道接下来会发生什么。"),
    ("客户需要重复说明吗？", "客户有没有被要求再说一遍订单号、问题经过或已经说过的信息。"),
    ("语气适合这位客户吗？", "对着急的客户先安抚，对老顾客亲切自然，不套用生硬的标准话术。"),
]
NOTES = [
    "开头先确认了订单号，客户一次就说清楚了，很好。下次可以主动告诉客户预计送达时间，客户就不用再来问。",
    "客户情绪比较急，你先道歉再查询的顺序很对。结尾可以再确认一句“还有别的问题吗”，让客户安心。",
    "回复很专业，但有两处用了内部术语（“工单流转”），换成客户听得懂的说法会更好。",
    "退款进度说得很清楚。客户第二次问的时候，可以直接把到账时间写出来，避免第三次联系。",
    "语气亲切自然，像和朋友说话一样，客户最后还说了谢谢。保持！",
]
PARTLY_NOTES = ["客户又补充了一次地址", "称呼可以更亲切一些", "解决方案给了，但没有说明时间"]


def seed_demo(world) -> None:
    rng = random.Random(f"{world.seed}:quality")
    resolved = list(Conversation.objects.filter(status__in=services.SETTLED).values_list("pk", flat=True))
    services.recompute_outcomes(resolved)
    asked = reviews.active_questions() or [reviews.add_question(text, hint) for text, hint in QUESTIONS]
    supervisor, admin = world.users["banzhang"], world.users["admin"]
    end = timezone.localdate(world.now) - timedelta(days=1)
    start = end - timedelta(days=6)
    cycle = reviews.create_cycle(
        name="上周抽检",
        period_start=start,
        period_end=end,
        created_by=supervisor,
        per_agent_per_week=3,
        seed=20261125,
    )
    items = list(cycle.items.select_related("agent").order_by("agent_id", "rank"))
    for n, item in enumerate(items[:8]):
        verdicts = [rng.choice([Verdict.YES, Verdict.YES, Verdict.PARTLY, Verdict.NO]) for _ in asked]
        answers = {
            q.pk: (v, rng.choice(PARTLY_NOTES) if v != Verdict.YES else "")
            for q, v in zip(asked, verdicts, strict=True)
        }
        reviews.review_item(item, reviewer=supervisor, answers=answers, coaching_note=NOTES[n % len(NOTES)])
    if len(items) > 10:
        reviews.remove_item(items[-1], by=supervisor, reason="客户是内部测试账号")
    calibrated = [item.conversation for item in items[:3]]
    if not calibrated:
        return
    calibration = reviews.create_calibration(
        name="十一月校准",
        conversations=calibrated,
        reviewers=[supervisor, admin],
        created_by=supervisor,
        cycle=cycle,
    )
    for item in calibration.items.all():
        for reviewer in (supervisor, admin):
            answers = {q.pk: (rng.choice([Verdict.YES, Verdict.YES, Verdict.PARTLY]), "") for q in asked}
            reviews.review_calibration_item(item, reviewer=reviewer, answers=answers, coaching_note="")
