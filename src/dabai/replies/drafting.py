"""Reply drafts that answer like a person: the right tone for the channel, the customer's register, soothing
first when they are upset, a festival greeting on a festival day.

Framework-free and offline on purpose (no Django, no network, no GPU): a draft is a pure function of the
filter's analysis of the customer's latest message and a few facts about the conversation, so it is cheap,
predictable and testable.  The draft is always edited by the agent, never sent blindly; where only the agent
knows a fact, the draft leaves a 【…】 gap to fill in.

The phrases are Chinese customer-facing text (like the filter's lexicons), not interface text: the customers
write Chinese and are answered in Chinese, whatever language the agent's interface is in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dabai.filter import mask

from .festivals import Festival

SMS_SEGMENT = 70  # characters per SMS segment in UCS-2: Chinese text counts every character
SMS_SIGNATURE = "【大白客服】"
CENTRE_NAME = "大白客服中心"

# The time we commit to, by urgency: concrete, so the customer knows when to expect news.
PROMISED_TIME = {"critical": "30分钟内", "high": "2小时内", "normal": "今天之内", "low": "1个工作日内"}

# What we do next, by intent: the concrete next step that follows the acknowledgement.
NEXT_STEP = {
    "logistics": "我这边马上联系物流为您核实包裹的位置",
    "refund_return": "我这边马上为您核实退款/退货的进度",
    "billing": "我这边马上为您核对这笔费用的明细",
    "account": "我这边马上为您核实账户的情况",
    "product_quality": "我们会安排专人核实商品的问题，并为您提供退换或维修方案",
    "outage": "我们已将故障情况转给技术同事紧急排查",
    "service_attitude": "您反映的服务问题我们会认真核查，严肃处理",
    "cancellation": "我这边马上为您核实办理取消的方式",
}
DEFAULT_NEXT_STEP = "我这边马上为您核实处理"
SUBJECT = {
    "logistics": "物流",
    "refund_return": "退款/退货",
    "billing": "费用",
    "account": "账户",
    "product_quality": "商品质量",
    "outage": "故障",
    "service_attitude": "服务",
    "cancellation": "取消",
}

PLAIN_TONES = {"email": "formal", "chat": "warm", "wechat": "warm", "sms": "sms", "phone": "spoken"}


@dataclass(frozen=True, slots=True)
class DraftContext:
    """What a draft depends on; ``analysis`` is ``Analysis.to_dict()`` of the latest customer message."""

    channel: str
    analysis: Mapping[str, Any] | None = None
    customer_name: str = ""
    agent_name: str = ""
    is_public: bool = False
    elderly: bool = False
    festival: Festival | None = None
    knowledge_hint: str = ""  # a sentence pointing to a knowledge-base article that answers the question
    notice: str = ""  # what the draft starts from: an ongoing incident's status (``replies.notices``)


@dataclass(frozen=True, slots=True)
class Draft:
    """The draft text, its SMS segments (one for other channels), its tone and why it reads as it does."""

    text: str
    tone: str
    segments: tuple[str, ...]
    reasons: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class _Reading:
    mood: str  # angry, anxious, unhappy, praise, neutral
    register: str  # respectful, familiar, inappropriate, none
    address_term: str
    intent: str
    urgency: str
    escalation: bool
    order_number: str
    question: bool


def read_analysis(analysis: Mapping[str, Any] | None) -> _Reading:
    """The few facts a draft needs, read defensively: the filter's JSON may lack keys while it evolves."""
    a = analysis or {}
    emotions = {e.get("label") for e in a.get("emotions") or [] if isinstance(e, Mapping)}
    sentiment = (a.get("sentiment") or {}).get("label", "neutral")
    voice = (a.get("voice") or {}).get("label", "")
    escalation = bool((a.get("escalation") or {}).get("risk"))
    if "anger" in emotions or escalation:
        mood = "angry"
    elif "anxiety" in emotions:
        mood = "anxious"
    elif voice == "praise" or (sentiment == "positive" and voice not in {"complaint", "question"}):
        mood = "praise"
    elif voice == "complaint" or sentiment == "negative" or "disappointment" in emotions:
        mood = "unhappy"
    else:
        mood = "neutral"
    address = a.get("address_form") or {}
    orders = [
        e.get("text", "")
        for e in a.get("entities") or []
        if isinstance(e, Mapping) and e.get("kind") == "order_number"
    ]
    return _Reading(
        mood=mood,
        register=address.get("register") or "none",
        address_term=address.get("term") or "",
        intent=(a.get("intent") or {}).get("label") or "other",
        urgency=(a.get("urgency") or {}).get("label") or "normal",
        escalation=escalation,
        order_number=orders[0] if orders else "",
        question=voice == "question",
    )


def build_draft(ctx: DraftContext) -> Draft:
    """A draft for the agent to edit, shaped by channel, mood, register, age and the calendar."""
    reading = read_analysis(ctx.analysis)
    if ctx.channel == "weibo" and ctx.is_public:
        return _public_weibo(ctx, reading)
    tone = PLAIN_TONES.get(ctx.channel, "warm")
    if ctx.elderly and tone in {"warm", "spoken"}:
        tone = "plain"  # email stays formal and SMS stays short: both are plain enough already
    elif tone == "warm" and reading.register in {"respectful", "inappropriate"}:
        tone = "courteous"  # 师傅/老师 get a respectful 您; a rude address a calm neutral one, never mirrored
    reasons = ["elderly"] if tone == "plain" else [f"channel:{ctx.channel}"]
    reasons.append(f"mood:{reading.mood}")
    if reading.register != "none":
        reasons.append(f"register:{reading.register}")
    if ctx.festival is not None:
        reasons.append(f"festival:{ctx.festival.key}")
    if ctx.notice:
        reasons.append("notice")
    sentences = _body(ctx, reading, tone)
    if tone == "formal":
        text = _as_email(ctx, sentences)
        return Draft(text, tone, (text,), tuple(reasons))
    if tone == "sms":
        segments = pack_sms([SMS_SIGNATURE + sentences[0], *sentences[1:]])
        return Draft("\n".join(segments), tone, tuple(segments), tuple(reasons))
    text = "\n".join(sentences)
    return Draft(text, tone, (text,), tuple(reasons))


def _festival_line(ctx: DraftContext, tone: str) -> str:
    if ctx.festival is None:
        return ""
    return ctx.festival.formal if tone == "formal" else ctx.festival.short


def _greeting(ctx: DraftContext, r: _Reading, tone: str) -> str:
    """The opening, answering the customer's form of address in kind."""
    agent = ctx.agent_name
    if tone == "formal":
        return "您好！"
    if tone == "sms":
        return f"{ctx.customer_name}您好，" if ctx.customer_name else "您好，"
    if tone == "spoken":
        return f"您好，这里是{CENTRE_NAME}，我是{agent}。" if agent else f"您好，这里是{CENTRE_NAME}。"
    me = f"我是客服{agent}" if agent else "我是客服"
    if tone in {"plain", "courteous"}:
        return f"您好，{me}，很高兴为您服务。" if r.register == "respectful" else f"您好，{me}。"
    if r.address_term in {"亲", "亲亲", "亲爱的"}:
        return f"亲，您好呀～{me}，很高兴为您服务～"
    return f"您好呀～{me}，很高兴为您服务～"


def _soothing(r: _Reading, tone: str) -> list[str]:
    """Acknowledge first, apologise where due, and take ownership when the customer talks of escalating."""
    lines: list[str] = []
    if r.mood == "angry":
        lines.append(
            {
                "formal": "对于此次给您带来的不便和困扰，我们深表歉意，您的心情我们完全理解。",
                "plain": "真对不起，让您着急了，您的心情我们理解。",
                "sms": "非常抱歉给您带来困扰。",
                "spoken": "非常抱歉给您带来了困扰，您的心情我完全理解。",
            }.get(tone, "真的非常抱歉让您生气了，您的心情我特别理解。")
        )
    elif r.mood == "anxious":
        lines.append(
            {
                "formal": "我们理解您焦急的心情，请您放心，我们会全力为您处理。",
                "plain": "您先别着急，这件事我们来帮您办。",
                "sms": "请您别着急，我们正在处理。",
                "spoken": "您先别着急，这件事我来帮您跟进。",
                "courteous": "您先别着急，这件事我来帮您跟进。",
            }.get(tone, "您先别着急，这件事我来帮您跟进～")
        )
    elif r.mood == "unhappy":
        lines.append(
            "很抱歉给您带来了不好的体验。" if tone != "formal" else "很抱歉此次给您带来了不好的体验。"
        )
    if r.escalation:
        lines.append(
            "您反映的问题我会全程负责跟进，直到解决为止。"
            if tone != "formal"
            else "您反映的问题我们将安排专人全程跟进，直至妥善解决。"
        )
    return lines


def _next_step(ctx: DraftContext, r: _Reading, tone: str) -> list[str]:
    """The concrete next step and when the customer will hear from us."""
    subject = SUBJECT.get(r.intent, "")
    if r.question and r.mood == "neutral":  # a calm question wants an answer, not a promise to look into it
        return [ctx.knowledge_hint or f"关于您咨询的{subject}问题：【请补充答复】"]
    topic = ""
    if r.order_number:
        topic = f"关于您的订单{r.order_number}" + (f"的{subject}问题，" if subject else "，")
    elif subject and tone != "sms":
        topic = f"关于您反映的{subject}问题，"
    step = NEXT_STEP.get(r.intent, DEFAULT_NEXT_STEP)
    when = PROMISED_TIME.get(r.urgency, PROMISED_TIME["normal"])
    if r.mood in {"angry", "anxious"} and r.urgency in {"normal", "low"}:
        when = PROMISED_TIME["high"]  # an upset customer waits no longer than an urgent one
    hint = [ctx.knowledge_hint] if ctx.knowledge_hint else []
    if tone == "plain":
        return [f"{topic}{step}。", f"{when}我们会给您回复结果。", *hint]
    return [f"{topic}{step}，{when}给您回复处理结果。", *hint]


def _closing(tone: str) -> list[str]:
    if tone == "sms":
        return ["如有疑问请回复本短信。"]
    if tone == "spoken":
        return ["请问还有其他可以帮您的吗？"]
    if tone == "plain":
        return ["如果您打字不方便，我们也可以给您打电话说明。"]
    if tone == "formal":
        return ["如有其他问题，欢迎随时回复本邮件与我们联系。"]
    if tone == "courteous":
        return ["如有其他问题，请随时联系我们。"]
    return ["还有什么需要随时找我哦～"]


def _body(ctx: DraftContext, r: _Reading, tone: str) -> list[str]:
    """Sentences in order: greeting, (festival), soothing, next step, closing, (festival when upset)."""
    festival = _festival_line(ctx, tone)
    upset = r.mood in {"angry", "anxious", "unhappy"}
    lines = [_greeting(ctx, r, tone)]
    if ctx.notice:  # a known cause (an outage): say what it is and when it ends, then soothe; no guessing
        lines.append(_sentence(ctx.notice))
        lines += _soothing(r, tone)
        return lines + _closing(tone)
    if festival and not upset:
        lines.append(festival)
    if r.mood == "praise":
        lines.append(
            {
                "formal": "衷心感谢您的认可与鼓励，我们会继续努力，为您提供更好的服务。",
                "sms": "感谢您的认可，我们会继续努力！",
            }.get(tone, "谢谢您的认可和鼓励！我们会继续努力～" if tone == "warm" else "谢谢您的认可和鼓励！")
        )
        return lines if tone in {"warm", "plain", "courteous"} else lines + _closing(tone)
    lines += _soothing(r, tone)
    lines += _next_step(ctx, r, tone)
    lines += _closing(tone)
    if festival and upset:
        lines.append(f"另外，{festival}" if tone != "formal" else festival)
    return lines


def _sentence(text: str) -> str:
    """A notice as one sentence of the draft: trimmed and ending in a full stop."""
    text = " ".join(text.split())
    return text if text[-1:] in "。！？.!?～" else f"{text}。"


def _as_email(ctx: DraftContext, sentences: list[str]) -> str:
    """Formal and complete: salutation, paragraphs, sign-off with the agent's name and the centre."""
    salutation = f"尊敬的{ctx.customer_name}：" if ctx.customer_name else "尊敬的客户："
    signature = "\n".join(line for line in (ctx.agent_name, CENTRE_NAME) if line)
    return "\n\n".join([salutation, *sentences, f"此致\n敬礼！\n\n{signature}"])


def _public_weibo(ctx: DraftContext, r: _Reading) -> Draft:
    """A brief public acknowledgement that moves the details to a private message: no personal data in public.

    Neither the customer's name nor order numbers are used, and the result is masked once more in case the
    analysis missed something.
    """
    sorry = "非常抱歉给您带来困扰，" if r.mood in {"angry", "anxious", "unhappy"} else ""
    if ctx.notice:
        text = f"您好，{_sentence(ctx.notice)}{sorry}如仍有问题请私信我们。"
    elif r.mood == "praise":
        text = "感谢您的认可和支持！我们会继续努力～"
    else:
        text = f"您好，{sorry}您反映的问题我们已收到，已私信您，麻烦查看私信，我们会尽快为您处理。"
    if ctx.festival is not None:
        text += ctx.festival.short
    text = mask(text, lenient=True)
    reasons = ("channel:weibo", "public", f"mood:{r.mood}") + (("notice",) if ctx.notice else ())
    if ctx.festival is not None:
        reasons += (f"festival:{ctx.festival.key}",)
    return Draft(text, "public", (text,), reasons)


def pack_sms(sentences: list[str], limit: int = SMS_SEGMENT) -> list[str]:
    """Whole sentences per segment, at most *limit* characters each; long sentences split at commas."""
    pieces: list[str] = []
    for sentence in sentences:
        pieces += _split_long(sentence, limit)
    segments: list[str] = []
    current = ""
    for piece in pieces:
        if current and len(current) + len(piece) > limit:
            segments.append(current)
            current = ""
        current += piece
    if current:
        segments.append(current)
    return segments


def _split_long(sentence: str, limit: int) -> list[str]:
    if len(sentence) <= limit:
        return [sentence]
    parts: list[str] = []
    current = ""
    for char in sentence:
        current += char
        if char in "，,；;" and len(current) > limit // 2:
            parts.append(current)
            current = ""
    if current:
        parts.append(current)
    return [p[i : i + limit] for p in parts for i in range(0, len(p), limit)]


VARIABLE_RE = re.compile(r"\{(\w+)\}")
VARIABLE_GAPS = {"customer_name": "【客户称呼】", "order_number": "【订单号】", "agent_name": "【坐席姓名】"}


def fill_variables(text: str, values: Mapping[str, str]) -> str:
    """A macro with its variables filled in; a value we do not know leaves a visible 【…】 gap to fill."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in VARIABLE_GAPS:
            return match.group(0)
        return values.get(name) or VARIABLE_GAPS[name]

    return VARIABLE_RE.sub(replace, text)
