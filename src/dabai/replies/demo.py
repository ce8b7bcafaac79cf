"""Canned replies for the demo centre: about thirty a Chinese contact centre really uses, centre-wide, per
team and personal, several with actions (set a status, tag, hand over), all through the replies services.
They join the five starters every centre gets (``migrations/0002_starter_macros``).

Also what the demo's channel profiles would have said about genders (about two customers in three), so the
desk can address 杜女士 / 杜先生 and falls back to 您好 for the rest.
"""

import random

from dabai.conversations.models import Status
from dabai.customers.models import Gender
from dabai.customers.services import record_genders
from dabai.replies import services
from dabai.replies.models import Macro, MacroAssignment, MacroScope

# (title, text, actions) — actions: status, tags, assignment or the slug of the team to hand to.
CENTRE = [
    ("开场问候", "{customer_name}您好，我是客服{agent_name}，很高兴为您服务，请问有什么可以帮您？", {}),
    ("稍等查询", "{customer_name}您好，麻烦您稍等1-2分钟，我马上为您查询。", {}),
    ("致歉安抚", "非常抱歉给您带来不便，您的心情我完全理解，我们一定尽快为您处理。", {"tags": ["安抚"]}),
    (
        "已记录升级",
        "您反映的问题我已详细记录并升级给专员，专员会在24小时内联系您，请保持电话畅通。",
        {"tags": ["已升级"], "status": Status.PENDING},
    ),
    (
        "需要更多信息",
        "为了尽快帮您处理，麻烦提供一下【订单号】和下单时使用的手机号后四位。",
        {"status": Status.PENDING},
    ),
    (
        "等待客户回复",
        "{customer_name}您好，想跟您确认一下问题是否还存在？如仍有疑问请直接回复，我们随时为您处理。",
        {"status": Status.PENDING},
    ),
    (
        "问题已解决",
        "很高兴问题已经解决！如后续还有任何疑问，欢迎随时联系我们，祝您生活愉快！",
        {"status": Status.RESOLVED, "tags": ["已解决"]},
    ),
    ("满意度邀请", "本次服务结束后会收到一条满意度评价，您的每一条意见对我们都很重要，感谢支持！", {}),
    (
        "非工作时间",
        "您好，现在是非工作时间（服务时间 8:00-22:00），您的留言我们已收到，上班后第一时间回复您。",
        {},
    ),
]
TEAMS = {
    "hotline": [
        (
            "宽带报修受理",
            "{customer_name}您好，您的宽带故障报修已受理，工单号【工单号】，维修师傅会在4小时内与您联系上门。",
            {"tags": ["故障报修"], "assignment": MacroAssignment.SELF},
        ),
        (
            "话费异常核实",
            "{customer_name}您好，关于您反映的话费异常，我已提交账务核查，3个工作日内给您答复。",
            {"tags": ["账单争议"], "status": Status.PENDING},
        ),
        ("套餐变更说明", "套餐变更将在次月1日生效，当月仍按原套餐计费，变更成功后会有短信通知。", {}),
        (
            "转账务专员",
            "您的问题需要账务专员处理，我已为您转接，请稍候。",
            {"team": "online", "tags": ["转账务"]},
        ),
        ("停机保号", "停机保号每月收取5元保号费，最长可办理12个月，请问您需要办理吗？", {}),
        ("上门时间确认", "{customer_name}您好，师傅预计【上门时间】到达，到达前会提前电话联系您。", {}),
        (
            "投诉受理",
            "非常抱歉给您带来不好的体验，您的投诉已受理，投诉专员会在2小时内回电。",
            {"tags": ["投诉"], "assignment": MacroAssignment.SELF},
        ),
    ],
    "online": [
        (
            "物流加急",
            "{customer_name}您好，关于订单{order_number}，我已联系物流加急核实，2小时内给您回复最新进展。",
            {"tags": ["物流催单"], "status": Status.PENDING},
        ),
        (
            "退款处理中",
            "{customer_name}您好，订单{order_number}的退款已在处理中，一般1-3个工作日原路退回，请留意到账通知。",
            {"tags": ["退款"]},
        ),
        (
            "退货流程",
            "退货请在订单详情页点击“申请售后”，选择退货原因并上传照片，审核通过后快递员会上门取件。",
            {},
        ),
        (
            "发票开具",
            "电子发票会在确认收货后24小时内发送到您的邮箱，如需修改抬头请提供【发票抬头】和【税号】。",
            {},
        ),
        (
            "商品质量问题",
            "非常抱歉商品出现质量问题，麻烦您拍一张问题部位的照片发给我们，我们立即为您安排换货。",
            {"tags": ["质量问题"], "assignment": MacroAssignment.SELF},
        ),
        (
            "退款已到账-结束",
            "您好，退款已原路退回，请留意到账通知。如还有问题随时联系我们。",
            {"status": Status.RESOLVED, "tags": ["退款", "已解决"]},
        ),
    ],
    "social": [
        (
            "微博转私信",
            "您好，您反映的问题我们已收到，已私信您，麻烦查看私信，我们会尽快为您处理。",
            {"tags": ["微博转私信"], "status": Status.PENDING},
        ),
        ("微博致歉", "抱歉给您带来不好的体验，我们已经在跟进了，详情请留意私信～", {"tags": ["微博"]}),
        ("感谢好评", "感谢您的认可！我们会继续努力，为您提供更好的服务～", {"status": Status.RESOLVED}),
        (
            "舆情升级",
            "已收到，我们非常重视，已请专人跟进，详情私信沟通。",
            {"tags": ["舆情"], "assignment": MacroAssignment.QUEUE},
        ),
    ],
}
PERSONAL = {
    "xiaoli": [
        ("我的开场", "您好，我是热线组小李，工号1024，很高兴为您服务～", {}),
        (
            "回访确认",
            "{customer_name}您好，这里是大白客服回访，想确认一下上次的宽带问题已经修好了吗？",
            {"tags": ["回访"]},
        ),
    ],
    "xiaozhou": [
        ("我的结束语", "感谢您的耐心等待，小周祝您生活愉快，有问题随时找我～", {"status": Status.RESOLVED}),
    ],
}
GENDER_SHARE = 2 / 3  # how many demo customers' profiles state a gender


def seed_demo(world) -> None:
    """Create the demo's canned replies (skipped if they exist) and record the genders profiles stated."""
    if Macro.objects.filter(title="开场问候").exists():
        return
    admin, supervisor = world.users["admin"], world.users["banzhang"]
    for title, body, actions in CENTRE:
        _create(admin, title, body, actions, world, scope=MacroScope.CENTRE)
    for slug, macros in TEAMS.items():
        team = world.teams.get(slug)
        if team is None:
            continue
        for title, body, actions in macros:
            _create(supervisor, title, body, actions, world, scope=MacroScope.TEAM, team=team)
    for login, macros in PERSONAL.items():
        agent = world.users.get(login)
        if agent is not None:
            for title, body, actions in macros:
                _create(agent, title, body, actions, world, scope=MacroScope.PERSONAL)
    rng = random.Random(world.seed)
    record_genders(
        {
            customer: rng.choice([Gender.FEMALE, Gender.MALE])
            for customer in world.customers
            if rng.random() < GENDER_SHARE
        }
    )


def _create(actor, title: str, body: str, actions: dict, world, *, scope: str, team=None) -> None:
    services.create_macro(
        actor=actor,
        title=title,
        body=body,
        scope=scope,
        team=team,
        set_status=actions.get("status", ""),
        add_tags=actions.get("tags", []),
        assignment=actions.get("assignment", ""),
        assign_team=world.teams.get(actions["team"]) if "team" in actions else None,
    )
