"""Who may do what with canned replies and personal data at the desk, on top of accounts.permissions; and
what a reply must never carry: an unfilled blank, or the customer's name or numbers on a public post."""

import re

from django.utils.translation import gettext as _

from dabai.accounts.models import User
from dabai.accounts.permissions import is_desk_user, is_supervisor, team_ids, visible_conversations
from dabai.conversations.models import Conversation, Message
from dabai.customers.models import Customer, Gender
from dabai.filter import analyse, mask
from dabai.replies.models import Macro, MacroScope


def may_manage_macro(user: User, macro: Macro) -> bool:
    """Agents keep their own macros; team and centre-wide ones are the supervisors' to curate."""
    if not is_desk_user(user):
        return False
    if macro.scope == MacroScope.PERSONAL:
        return macro.owner_id == user.pk
    return is_supervisor(user)


def may_use_macro(user: User, macro: Macro) -> bool:
    """Centre-wide macros, those of the user's teams (any team for a supervisor), and their own."""
    if not is_desk_user(user):
        return False
    if macro.scope == MacroScope.PERSONAL:
        return macro.owner_id == user.pk
    return macro.scope == MacroScope.CENTRE or may_use_team(user, macro.team_id)


def creatable_scopes(user: User) -> list[str]:
    if not is_desk_user(user):
        return []
    if is_supervisor(user):
        return [MacroScope.PERSONAL, MacroScope.TEAM, MacroScope.CENTRE]
    return [MacroScope.PERSONAL]


def may_use_team(user: User, team_id: int) -> bool:
    return is_supervisor(user) or team_id in team_ids(user)


def may_see_message(user: User, message: Message) -> bool:
    """Revealing personal data needs the right to open the conversation; nobody else even learns it exists."""
    return (
        is_desk_user(user)
        and visible_conversations(user, Conversation.objects.filter(pk=message.conversation_id)).exists()
    )


def may_open(user: User, conversation: Conversation) -> bool:
    return (
        is_desk_user(user)
        and visible_conversations(user, Conversation.objects.filter(pk=conversation.pk)).exists()
    )


def leaks_in_public(conversation: Conversation, *, kind: str, body: str) -> bool:
    """A reply to a public post (a Weibo comment) that would publish personal data: refused, never sent."""
    return kind == "reply" and conversation.is_public and bool(public_leak(conversation.customer, body))


# ------------------------------------------------------------------------------------------ what is refused

# 【客户称呼】, an empty 【】, {{order}} and a macro variable nobody filled ({order_number}).
BLANK = re.compile(r"【[^【】]*】|\{\{.*?\}\}|\{[A-Za-z_]\w*\}")
LONG_NUMBER = re.compile(r"\d{6,}")
MIN_NAME = 2  # one character (a surname alone) says nothing, and would match everywhere


def unfilled_blank(body: str) -> str | None:
    """The first blank a canned reply left for the agent to fill (``【订单号】``, ``{{…}}``), if any."""
    found = BLANK.search(body)
    return found.group(0) if found else None


def public_leak(customer: Customer, body: str) -> str | None:
    """What in a reply to a public post would tell the world who the customer is, or None.

    The customer's names (their name, their polite form 杜女士, the handles they wrote from), any personal
    data the filter finds (phone, ID, card and bank numbers, addresses, names after a cue), order numbers,
    and any long run of digits: a public answer says "please check your private messages" instead.
    """
    lowered = body.lower()
    for name in customer_names(customer):
        if name.lower() in lowered:
            return name
    if mask(body, lenient=True) != body:
        return _("personal data")
    if any(e.get("kind") == "order_number" for e in analyse(body).to_dict().get("entities") or []):
        return _("an order number")
    number = LONG_NUMBER.search(body)
    return number.group(0) if number else None


def customer_names(customer: Customer) -> list[str]:
    """Every name the customer is known by at the centre: their name, polite form and channel handles."""
    names = {customer.display_name, polite_name(customer)}
    names.update(customer.identities.values_list("handle", flat=True))
    return sorted((n.strip() for n in names if n and len(n.strip()) >= MIN_NAME), key=len, reverse=True)


# ----------------------------------------------------------------------------------------- addressing people

COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "诸葛",
        "上官",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "夏侯",
        "令狐",
        "宇文",
        "司徒",
        "端木",
        "独孤",
        "南宫",
        "西门",
        "百里",
        "呼延",
    ]
)
HONORIFICS = ("女士", "先生", "小姐", "阿姨", "叔叔", "大爷", "奶奶", "老师", "师傅")
NICKNAME_STARTS = ("小", "老", "阿", "大")
HAN_NAME = re.compile(r"[\u4e00-\u9fff]{2,4}")


def surname(display_name: str) -> str:
    """The surname in a Chinese name (杜丽娟 → 杜, 欧阳娜娜 → 欧阳, 杜女士 → 杜), or "" when the name is not
    one (a nickname like 小熊不吃糖 or 老王, a number, Latin letters): guessing would embarrass."""
    name = display_name.strip()
    for honorific in HONORIFICS:
        if name.endswith(honorific) and len(name) > len(honorific):
            family = name[: -len(honorific)]
            chinese = all("\u4e00" <= c <= "\u9fff" for c in family)
            return family if chinese and len(family) <= 2 and not family.startswith(NICKNAME_STARTS) else ""
    if not HAN_NAME.fullmatch(name) or name.startswith(NICKNAME_STARTS):
        return ""
    return name[:2] if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else name[:1]


def polite_name(customer: Customer) -> str:
    """杜女士 / 杜先生 when the gender is known and the name is a real one; otherwise "" (say 您好 alone)."""
    family = surname(customer.display_name)
    if not family or customer.gender not in (Gender.FEMALE, Gender.MALE):
        return ""
    return family + ("女士" if customer.gender == Gender.FEMALE else "先生")


def salutation(customer: Customer) -> str:
    """How a reply opens: 杜女士您好 when we may say so, else 您好 (never the full name)."""
    return f"{polite_name(customer)}您好"


def macro_values(conversation: Conversation, agent: User, order_number: str = "") -> dict[str, str]:
    """The values a canned reply's variables take in this conversation.

    ``customer_name`` is the polite form (杜女士) or nothing, never the full name; on a public post it is
    always nothing, and the order number is left as a blank (the agent moves that talk to a private message).
    """
    public = conversation.is_public
    return {
        "customer_name": "" if public else polite_name(conversation.customer),
        "order_number": "" if public else order_number,
        "agent_name": str(agent),
    }


VARIABLE = re.compile(r"\{(customer_name|order_number|agent_name)\}")
GAPS = {"order_number": "【订单号】", "agent_name": "【坐席姓名】"}
NAMELESS = [("尊敬的：", "尊敬的客户："), ("尊敬的，", "尊敬的客户，")]


def render_macro(text: str, values: dict[str, str]) -> str:
    """A canned reply with its variables filled: an unknown customer name disappears (``{customer_name}您好``
    reads 您好), any other unknown value leaves a 【…】 blank the reply cannot be sent with."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return values.get(name) or ("" if name == "customer_name" else GAPS[name])

    filled = VARIABLE.sub(fill, text)
    for nameless, polite in NAMELESS:
        filled = filled.replace(nameless, polite)
    return filled
