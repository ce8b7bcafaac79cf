"""A deterministic, realistic demo service centre, written by dabai's own generator.

The same seed gives the same customers, conversations and words every time; only timestamps follow the
clock, so the demo always looks recent. Messages are read by the real filter as they are loaded.
"""

import importlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from dabai.accounts.models import Department, Role, Team, User
from dabai.accounts.services import create_staff_user
from dabai.conversations.models import Conversation, Direction, Status
from dabai.conversations.services import PastConversation, PastMessage, record_history
from dabai.core.choices import Channel
from dabai.customers.models import ChannelIdentity, Customer, CustomerTag, Tier
from dabai.insights.services import rebuild_case_index
from dabai.knowledge.demo import load_help_centre
from dabai.routing.demo import Targets, demo_targets, seed_routing_demo

SEED = 20261125
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉晨阳宇"
    "浩然欣怡梓涵子轩思远佳琪雨桐一诺建国淑珍德胜春梅海燕志强"
)
ADDRESS_TERMS = [
    "",
    "",
    "",
    "",
    "美女，",
    "师傅，",
    "老师，",
    "亲，",
    "你好，",
    "客服，",
    "小姑娘，",
    "老妹儿，",
]
PHONE_FILLERS = ["嗯，", "那个，", "就是，", "喂，你好，", "啊，"]

# (intent, text) — slots: {order} {amount} {days} {date} {phone}.  The mix is a real centre's: most messages
# are plain questions and requests, a minority complain, praise is rare.
TEMPLATES: list[tuple[str, str]] = [
    # Plain questions.
    ("billing", "请问这个月的账单什么时候出？"),
    ("billing", "发票可以开公司抬头吗？税号要填在哪里"),
    ("billing", "账单里有一笔{amount}元的费用看不懂，麻烦解释一下"),
    ("billing", "自动扣费是每个月几号扣？"),
    ("logistics", "请问订单{order}发的是什么快递？"),
    ("logistics", "订单{order}大概几天能到上海"),
    ("logistics", "今天下单明天能发货吗"),
    ("logistics", "请问订单{order}能不能改一下收货地址？"),
    ("refund_return", "七天无理由退货的话运费谁出？"),
    ("refund_return", "退货地址是哪里？我寄回去要备注什么"),
    ("refund_return", "退款一般几天能到账？"),
    ("account", "我想换绑手机号，原来的号码{phone}已经不用了"),
    ("account", "会员积分怎么查？"),
    ("account", "忘记登录密码了，怎么找回"),
    ("usage_inquiry", "请问怎么开通国际漫游？下周出差要用"),
    ("usage_inquiry", "这个路由器怎么设置WiFi密码？"),
    ("usage_inquiry", "APP里在哪里查剩余流量"),
    ("usage_inquiry", "你们周末营业吗？"),
    ("usage_inquiry", "想问一下你们门店在哪里"),
    ("purchase_inquiry", "现在办宽带有什么优惠吗？"),
    ("purchase_inquiry", "这款耳机有黑色的吗？还有货吗"),
    ("purchase_inquiry", "199元的套餐包含多少流量"),
    ("purchase_inquiry", "两件一起买能便宜点吗"),
    ("outage", "我们小区今天是不是在检修？网速特别慢"),
    ("cancellation", "会员自动续费怎么关闭？"),
    ("other", "在吗"),
    ("other", "好的，谢谢"),
    # Requests.
    ("billing", "麻烦帮我把上个月的发票发到邮箱"),
    ("logistics", "帮我备注一下发顺丰，谢谢"),
    ("refund_return", "衣服尺码小了，想换大一号，订单{order}"),
    ("account", "帮我查一下名下有几张卡"),
    ("cancellation", "我要注销这个套餐，以后不用了"),
    ("cancellation", "帮我取消订单{order}，拍错了"),
    ("usage_inquiry", "能不能发个说明书给我？纸质的弄丢了"),
    # Complaints, some angry.
    ("billing", "这个月话费怎么多扣了{amount}元？我没开通过什么增值业务啊"),
    ("logistics", "订单{order}已经{days}没更新物流了，到底什么时候能到？"),
    ("logistics", "快递显示已签收但我根本没收到，订单号{order}"),
    ("refund_return", "订单{order}申请退款{days}了还没到账，急用钱"),
    ("product_quality", "刚买的耳机用了{days}就坏了，左边没声音"),
    ("product_quality", "收到的杯子有裂痕，质量太差了"),
    ("outage", "家里宽带从昨晚开始就断网了，到现在还没恢复"),
    ("outage", "小区停电好几个小时了，什么时候能来电？"),
    ("service_attitude", "昨天打电话那个客服态度太差了，直接挂我电话"),
    ("service_attitude", "上门的师傅迟到两个小时还不耐烦，这服务态度不行"),
    # Suggestions and praise (rare).
    ("usage_inquiry", "建议APP能加个夜间模式，晚上看太亮了"),
    ("service_attitude", "上次那个客服小姐姐特别耐心，帮我解决了问题，谢谢！"),
]
ESCALATIONS = [
    "再不解决我就打12315投诉！",
    "我要发到网上曝光你们！",
    "不行我就找律师了。",
    "我已经在黑猫投诉上发帖了。",
]
PRAISE = ["问题解决了，谢谢你们，服务很好！", "非常感谢客服小姐姐的耐心解答，点赞！", "这次处理很快，满意。"]
REPLIES = [
    "您好，非常抱歉给您带来不便，我这边马上为您核实，稍后给您答复。",
    "您好，已为您查询到相关记录，预计24小时内处理完毕，请您留意短信通知。",
    "感谢您的耐心等待，问题已经处理好了，如还有疑问随时联系我们。",
    "理解您的心情，这件事我们一定负责到底，我已经升级给专员跟进。",
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    note: str


DEMO_LOGINS = [
    DemoLogin("admin", "dabai-admin", Role.ADMIN, "管理员 / admin"),
    DemoLogin("banzhang", "dabai-supervisor", Role.SUPERVISOR, "班长 / supervisor"),
    DemoLogin("xiaoli", "dabai-agent", Role.AGENT, "坐席·热线组 / agent, hotline team"),
    DemoLogin("xiaozhou", "dabai-agent", Role.AGENT, "坐席·在线组 / agent, online team"),
    DemoLogin("chanpin", "dabai-department", Role.DEPARTMENT, "产品部 / product department"),
    DemoLogin("caiwu", "dabai-department", Role.DEPARTMENT, "财务部 / finance department"),
    DemoLogin("kehu", "dabai-customer", Role.CUSTOMER, "客户 / customer (portal)"),
]


@dataclass(frozen=True)
class DemoWorld:
    """What an app's demo part builds on: the demo's clock, seed, staff (by login), teams and customers."""

    now: datetime
    seed: int
    users: dict[str, User]
    teams: dict[str, Team]
    customers: list[Customer]


def app_demos() -> list:
    """Each app's ``demo.seed_demo(world)``, in ``INSTALLED_APPS`` order (an app adds its demo part without
    editing this builder)."""
    found = []
    for config in apps.get_app_configs():
        if not config.name.startswith("dabai.") or config.name == "dabai.demo":
            continue
        try:
            module = importlib.import_module(f"{config.name}.demo")
        except ModuleNotFoundError as missing:
            if missing.name != f"{config.name}.demo":
                raise
            continue
        if hasattr(module, "seed_demo"):
            found.append(module.seed_demo)
    return found


def demo_loaded() -> bool:
    return User.objects.filter(username="admin").exists() and Conversation.objects.exists()


class DemoBuilder:
    """Builds the demo in a few bulk inserts so it loads in seconds on SQLite."""

    def __init__(
        self, customers: int = 200, conversations: int = 1000, seed: int = SEED, *, app_parts: bool = True
    ) -> None:
        self.app_parts = app_parts  # each app's own demo part (programmes, follow-ups, VoC history, …)
        self.rng = random.Random(seed)
        # Timing against the SLA targets has its own stream, so the words, channels and people stay the same.
        self.clock_rng = random.Random(f"{seed}:sla")
        self.n_customers = customers
        self.n_conversations = conversations
        self.now = timezone.now().replace(second=0, microsecond=0)

    def build(self) -> None:
        with transaction.atomic():
            teams = self._teams()
            staff = self._staff(teams)
            customers = self._customers()
            self._conversations(customers, teams, staff)
            seed_routing_demo(self.now)
            load_help_centre()
            rebuild_case_index()  # the voice-of-the-customer portal's masked, searchable cases
            world = DemoWorld(now=self.now, seed=SEED, users=staff, teams=teams, customers=customers)
            for seed_demo in app_demos() if self.app_parts else []:
                seed_demo(world)

    def _teams(self) -> dict[str, Team]:
        names = {"hotline": "热线组", "online": "在线组", "social": "社交媒体组"}
        return {
            slug: Team.objects.get_or_create(slug=slug, defaults={"name": name})[0]
            for slug, name in names.items()
        }

    def _staff(self, teams: dict[str, Team]) -> dict[str, User]:
        product = Department.objects.get_or_create(slug="product", defaults={"name": "产品部"})[0]
        finance = Department.objects.get_or_create(slug="finance", defaults={"name": "财务部"})[0]
        setup = {
            "admin": {"display_name": "系统管理员"},
            "banzhang": {"display_name": "陈班长", "teams": list(teams.values())},
            "xiaoli": {"display_name": "李晓", "teams": [teams["hotline"]]},
            "xiaozhou": {"display_name": "周舟", "teams": [teams["online"], teams["social"]]},
            "chanpin": {"display_name": "产品经理王工", "department": product},
            "caiwu": {"display_name": "财务刘姐", "department": finance},
            "kehu": {"display_name": "演示客户"},
        }
        users = {}
        for login in DEMO_LOGINS:
            users[login.username] = create_staff_user(
                login.username, login.password, login.role, **setup[login.username]
            )
        for i in range(1, 7):
            team = [teams["hotline"], teams["online"], teams["social"]][i % 3]
            users[f"agent{i}"] = create_staff_user(
                f"agent{i}", f"dabai-agent-{i}", Role.AGENT, display_name=f"坐席{i:02d}", teams=[team]
            )
        return users

    def _name(self) -> str:
        return self.rng.choice(SURNAMES) + "".join(
            self.rng.choice(GIVEN) for _ in range(self.rng.choice([1, 2]))
        )

    def _customers(self) -> list[Customer]:
        tags = [
            CustomerTag.objects.get_or_create(name=n)[0]
            for n in ["老客户", "企业客户", "老年客户", "多次来电"]
        ]
        tiers = [Tier.REGULAR] * 7 + [Tier.VIP] * 2 + [Tier.PREMIUM]
        customers = Customer.objects.bulk_create(
            [
                Customer(display_name=self._name(), tier=self.rng.choice(tiers))
                for _ in range(self.n_customers)
            ]
        )
        identities = []
        for index, customer in enumerate(customers):
            phone = f"1{self.rng.choice('3589')}{self.rng.randrange(10**9):09d}"
            identities.append(ChannelIdentity(customer=customer, channel=Channel.PHONE, external_id=phone))
            identities.append(ChannelIdentity(customer=customer, channel=Channel.SMS, external_id=phone))
            identities.append(
                ChannelIdentity(
                    customer=customer, channel=Channel.EMAIL, external_id=f"user{index:04d}@example.cn"
                )
            )
            identities.append(
                ChannelIdentity(customer=customer, channel=Channel.WECHAT, external_id=f"oDemo{index:06d}wx")
            )
            identities.append(
                ChannelIdentity(
                    customer=customer,
                    channel=Channel.WEIBO,
                    external_id=str(5_000_000_000 + index),
                    handle=f"@{customer.display_name}的微博",
                )
            )
            identities.append(
                ChannelIdentity(customer=customer, channel=Channel.CHAT, external_id=f"visitor-{index:05d}")
            )
            if self.rng.random() < 0.3:
                customer.tags.add(self.rng.choice(tags))
        ChannelIdentity.objects.bulk_create(identities)
        demo_user = User.objects.get(username="kehu")
        customers[0].portal_user = demo_user
        customers[0].save(update_fields=["portal_user"])
        return customers

    def _text(self, channel: str) -> tuple[str, str]:
        intent, template = self.rng.choice(TEMPLATES)
        text = template.format(
            order=f"{self.rng.choice(['DD', 'JD', ''])}{self.rng.randrange(10**11, 10**12)}",
            amount=self.rng.choice([18, 30, 49.9, 88, 128, 299, 1599]),
            days=self.rng.choice(["三天", "一周", "5天", "半个月"]),
            date=f"{self.rng.randint(1, 12)}月{self.rng.randint(1, 28)}日",
            phone=f"1{self.rng.choice('3589')}{self.rng.randrange(10**9):09d}",
        )
        text = self.rng.choice(ADDRESS_TERMS) + text
        if channel == Channel.PHONE:
            text = self.rng.choice(PHONE_FILLERS) + text
        elif channel == Channel.WEIBO:
            text = "@大白客服 " + text
        if self.rng.random() < 0.04:
            text += self.rng.choice(ESCALATIONS)
        return intent, text

    def _conversations(
        self, customers: list[Customer], teams: dict[str, Team], staff: dict[str, User]
    ) -> None:
        channel_team = {
            Channel.PHONE: teams["hotline"],
            Channel.SMS: teams["hotline"],
            Channel.EMAIL: teams["online"],
            Channel.CHAT: teams["online"],
            Channel.WECHAT: teams["online"],
            Channel.WEIBO: teams["social"],
        }
        agents_by_team = {
            team.pk: [
                u for u in staff.values() if u.role == Role.AGENT and team in u.agent_profile.teams.all()
            ]
            for team in teams.values()
        }
        channels = [c for c in Channel.values if c in channel_team]  # channels the demo centre staffs
        targets = demo_targets()
        past = []
        for i in range(self.n_conversations):
            channel = self.rng.choice(channels)
            customer = customers[0] if i < 5 else self.rng.choice(customers)
            status = self.rng.choices(list(Status.values), weights=[35, 10, 40, 15])[0]
            # The history reaches back a month; what was drawn as still open arrived in the last two days.
            age_limit = 60 * 48 if status in {Status.OPEN, Status.PENDING} else 60 * 24 * 30
            drawn_minutes = self.rng.randint(5, age_limit)
            team = channel_team[channel]
            assignee = (
                self.rng.choice(agents_by_team[team.pk])
                if status != Status.OPEN or self.rng.random() < 0.5
                else None
            )
            drawn_open = status == Status.OPEN
            status, assignee = self._backlog(status, assignee, agents_by_team[team.pk])
            answered = status != Status.OPEN or assignee is not None
            started = self.now - self._age(status, answered, drawn_minutes, targets[channel])
            _, first = self._text(channel)
            past.append(
                PastConversation(
                    customer=customer,
                    channel=channel,
                    messages=self._thread(
                        i, channel, status, first, started, assignee, answered, targets[channel], drawn_open
                    ),
                    subject=first[:30] if channel == Channel.EMAIL else "",
                    status=status,
                    is_public=channel == Channel.WEIBO and self.rng.random() < 0.6,
                    team=team,
                    assignee=assignee,
                )
            )
        record_history(past)

    def _backlog(self, status: str, assignee: User | None, agents: list[User]) -> tuple[str, User | None]:
        """A floor of eight agents has a few dozen conversations open at a time, not a third of the month's:
        four in five of those drawn as open (and half of those waiting on the customer) were settled since."""
        if status == Status.OPEN and self.clock_rng.random() < 0.8:
            return Status.RESOLVED, assignee or self.clock_rng.choice(agents)
        if status == Status.PENDING and self.clock_rng.random() < 0.5:
            return Status.CLOSED, assignee
        return status, assignee

    def _share_of_target(self) -> float:
        """Where a clock stands against its target: most well within, some near the end, a few past it."""
        roll = self.clock_rng.random()
        if roll < 0.76:
            return self.clock_rng.uniform(0.05, 0.75)
        if roll < 0.87:
            return self.clock_rng.uniform(0.8, 0.97)
        return self.clock_rng.uniform(1.1, 2.5)

    def _age(self, status: str, answered: bool, drawn_minutes: int, targets: Targets) -> timedelta:
        """How long ago the conversation began. History keeps its drawn age; open work is as old as its SLA
        allows: unanswered customers against the first-response target, answered ones against resolution."""
        if status in {Status.RESOLVED, Status.CLOSED}:
            return timedelta(minutes=drawn_minutes)
        target = targets.resolution if answered else targets.first_response
        return timedelta(minutes=target * self._share_of_target())

    def _thread(
        self,
        index: int,
        channel: str,
        status: str,
        first: str,
        started: datetime,
        assignee: User | None,
        answered: bool,
        targets: Targets,
        drawn_open: bool,
    ) -> list[PastMessage]:
        """The customer's first message; an answer unless nobody has taken it yet (the first one mostly within
        the channel's first-response target); sometimes thanks or a follow-up. What was drawn as open and has
        been settled since takes its words from the timing stream, so the rest of the demo stays the same."""
        rng = self.clock_rng if drawn_open else self.rng
        thread = [(Direction.INBOUND, first)]
        if status != Status.OPEN:
            thread.append((Direction.OUTBOUND, rng.choice(REPLIES)))
            if rng.random() < 0.4:
                if drawn_open:
                    follow_up = rng.choice(PRAISE)
                else:
                    follow_up = self.rng.choice(PRAISE) if self.rng.random() < 0.5 else self._text(channel)[1]
                thread.append((Direction.INBOUND, follow_up))
        elif answered:
            thread.append((Direction.OUTBOUND, rng.choice(REPLIES)))
        messages, at = [], started
        latest = self.now - timedelta(seconds=30)
        for n, (direction, body) in enumerate(thread):
            gap = timedelta(minutes=rng.randint(1, 90)) if n else None
            if n == 1:
                gap = timedelta(minutes=targets.first_response * self._share_of_target())
            at = min(at + gap, max(latest, at)) if gap is not None else at
            inbound = direction == Direction.INBOUND
            messages.append(
                PastMessage(
                    direction=direction,
                    body=body,
                    sent_at=at,
                    author=None if inbound else assignee,
                    external_id=f"demo-{channel}-{index}-{n}" if inbound else None,
                    raw_payload={"source": "demo"},
                )
            )
        return messages
