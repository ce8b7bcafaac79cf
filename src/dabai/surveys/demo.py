"""The demo's survey part: a named feedback survey after last month's experience training day, answered by
most of those invited (through the survey services), so the results page has counts, NPS and free texts."""

import random
from datetime import timedelta

from dabai.surveys import services

PEOPLE = [
    ("产品部 张经理", "zhang.product@example.cn"),
    ("市场部 李主管", "li.marketing@example.cn"),
    ("财务部 王会计", "wang.finance@example.cn"),
    ("人事部 赵老师", "zhao.hr@example.cn"),
    ("研发部 陈工", "chen.rd@example.cn"),
    ("研发部 刘工", "liu.rd@example.cn"),
    ("产品部 孙设计师", "sun.product@example.cn"),
    ("市场部 周专员", "zhou.marketing@example.cn"),
]
COMMENTS = [
    "旁听热线让我第一次听到客户真实的抱怨，对改版很有帮助。",
    "时间有点紧，希望旁听环节能再长一些。",
    "讨论环节很有收获，我们部门会跟进退款流程的问题。",
    "",
    "场地有点吵，听不清坐席的电话。",
    "非常好的活动，建议每季度都办一次。",
]


def seed_demo(world) -> None:
    rng = random.Random(f"{world.seed}:surveys")
    survey = services.create_survey(
        title="深层次用户体验培训日 · 参与反馈",
        intro="感谢您参加本次用户体验培训日。三分钟的反馈会直接用于改进下一期的安排。",
        owner=world.users["banzhang"],
        questions=[
            {"kind": "rating", "text": "整体满意度"},
            {
                "kind": "single",
                "text": "您来自哪个部门？",
                "choices": ["产品", "市场", "财务", "人事", "研发"],
            },
            {
                "kind": "multiple",
                "text": "哪些环节最有收获？",
                "choices": ["坐席旁听", "案例讨论", "合作意向", "客户来信朗读"],
                "required": False,
            },
            {"kind": "nps", "text": "您有多大可能向同事推荐参加下一期？"},
            {"kind": "text", "text": "下一期我们应该改进什么？", "required": False},
        ],
    )
    questions = {q.kind: q for q in survey.questions.all()}
    departments = questions["single"].choices
    for n, (name, email) in enumerate(PEOPLE):
        invitation = services.invite(
            survey, email=email, name=name, expires_at=world.now + timedelta(days=14)
        )
        if n >= 6:
            continue  # two have not answered yet
        parts = rng.sample(questions["multiple"].choices, rng.randint(1, 2))
        services.submit_response(
            invitation,
            {
                questions["rating"].pk: rng.choice([3, 4, 4, 5, 5]),
                questions["single"].pk: departments[n % len(departments)],
                questions["multiple"].pk: parts,
                questions["nps"].pk: rng.choice([6, 8, 9, 9, 10]),
                questions["text"].pk: COMMENTS[n],
            },
        )
