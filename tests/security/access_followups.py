"""Follow-ups (dabai.followups): departments see only their own department's follow-ups; agents those of the
conversations they may open; questions from the desk are their member's; notices their recipient's."""

from dabai.followups import services
from dabai.followups.models import Notice
from dabai.testing import DepartmentFactory, UserFactory

from .roles import HOT, NOT_VOC, ONLINE

DEPARTMENT_PAGES = {
    "followups:queue",
    "followups:export",
    "followups:mentions",
    "followups:notices",
    "followups:notices_read_all",
}
AGENT_PAGES = {"followups:queue", "followups:export", "followups:notices", "followups:notices_read_all"}

# fu_hot: the product department's (the ``department`` member's), about the hotline's case;
# fu_finance: finance's, about the online team's case: the product member must not see it.
PRODUCT_FOLLOWUP = {"anonymous", "customer", "other_agent"}
FINANCE_FOLLOWUP = {"anonymous", "customer", "department", "agent"}

OBJECT_URLS = {
    "followups:detail": [("fu_hot", PRODUCT_FOLLOWUP), ("fu_finance", FINANCE_FOLLOWUP)],
    "followups:status": [("fu_hot", PRODUCT_FOLLOWUP | {"agent"}), ("fu_finance", FINANCE_FOLLOWUP)],
    "followups:comment": [("fu_hot", PRODUCT_FOLLOWUP), ("fu_finance", FINANCE_FOLLOWUP)],
    "followups:owner": [("fu_hot", PRODUCT_FOLLOWUP | {"agent"}), ("fu_finance", FINANCE_FOLLOWUP)],
    "followups:mention": [("fu_mention", NOT_VOC)],
    "followups:answer": [("fu_mention", NOT_VOC | {"supervisor", "admin"})],
    "followups:ask": [("conv_hot", HOT), ("conv_online", ONLINE)],
    "followups:for_customer": [("cust_hot", HOT), ("cust_online", ONLINE)],
    "followups:notice_read": [
        ("fu_notice", {"anonymous", "customer", "department", "agent", "other_agent", "admin"})
    ],
}


def extend_world(world: dict, people: dict) -> None:
    supervisor = people["supervisor"]
    member = people.get("department_member")
    product = member.department if member is not None else DepartmentFactory(slug="product")
    finance = DepartmentFactory(slug="finance-probe", name="财务部")
    UserFactory(username="finance-probe", role="department", department=finance)
    world["fu_hot"] = services.open_followup(
        title="热线：APP闪退", department=product, opened_by=supervisor, conversations=[world["conv_hot"]]
    )
    world["fu_finance"] = services.open_followup(
        title="在线：退款慢", department=finance, opened_by=supervisor, conversations=[world["conv_online"]]
    )
    if member is not None:
        world["fu_mention"] = services.mention_department_member(
            world["conv_hot"], author=supervisor, member=member, body="这个闪退是已知问题吗？"
        )
        services.comment(world["fu_hot"], actor=member, body="我们在看")  # tells the supervisor (a notice)
        world["fu_notice"] = Notice.objects.filter(recipient=supervisor).latest("id")
