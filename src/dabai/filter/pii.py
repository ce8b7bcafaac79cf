"""Personal data and structured entities with exact spans.

Rule of the module: validate, never guess.  A number is personal data only when its shape *and* its checksum
(GB 11643 for resident IDs, Luhn for bank cards) or its numbering plan (mobile prefixes, area codes) say so.
Order and courier tracking numbers are found first; a number inside one of them is never personal data.
All patterns run on the normalised text (same length as the original), so spans index the original text.

``find_pii_lenient`` is the other mode, for text that leaves the agent's desk (departments, exports, public
replies): there a miss costs more than a false alarm, so it also masks digit runs broken up by spaces, dots or
dashes that have the *shape* of a mobile, a resident ID (even with a wrong check digit) or a bank card (even
failing Luhn).  Order and courier numbers stay readable in both modes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

PII_KINDS = ("phone", "landline", "id_card", "bank_card", "email", "name", "address")


@dataclass(frozen=True, slots=True)
class Span:
    """A typed stretch ``[start, end)`` of the original text."""

    kind: str
    start: int
    end: int

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


_NB = r"(?<![0-9A-Za-z])"  # no digit or latin letter right before
_NA = r"(?![0-9A-Za-z])"  # ... nor right after

MOBILE_RE = re.compile(_NB + r"(?:(?:\+|00)?86[- ]?)?1[3-9][0-9](?:([- ])[0-9]{4}\1[0-9]{4}|[0-9]{8})" + _NA)
LANDLINE_RE = re.compile(
    _NB
    + r"(?:[(（]?0(?:10|2[0-9])[)）]?[- ]?[2-9][0-9]{7}"
    + r"|[(（]?0[3-9][0-9]{2}[)）]?[- ]?[2-9][0-9]{6,7})(?:-[0-9]{1,4})?"
    + _NA
)
ID18_RE = re.compile(
    _NB + r"[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]" + _NA
)
ID15_RE = re.compile(_NB + r"[1-9][0-9]{5}[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}" + _NA)
BANK_RE = re.compile(_NB + r"(?:[0-9]{4}([- ])[0-9]{4}\1[0-9]{4}\1[0-9]{4,7}|[0-9]{16,19})" + _NA)
EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,12}"
)

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范"
    "金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章"
    "鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_NAME_STOP = (
    "我你他她的是在要想电手地住联收号了啊吧呢吗和跟给把被从到说请帮"
    "先女姐生士身份证卡订单快递客服电话，,。.!！?？ 0-9"
)
NAME_RE = re.compile(
    r"(?:我叫|我的名字是|我的名字叫|本人|姓名|名字|收件人|收货人|联系人|持卡人|户主|开户人|机主)(?:是|为|叫)?\s*[:：]?\s*"
    r"([" + _SURNAMES + r"][^" + _NAME_STOP + r"\W]{1,2})"
)
_ADDR_CH = r"(?:(?![我你他她住在寄到送的是址收货发请帮改成和跟从往])[\u4e00-\u9fff])"
ADDRESS_RE = re.compile(
    r"(?:" + _ADDR_CH + r"{2,7}(?:省|自治区))?"
    r"(?:" + _ADDR_CH + r"{2,7}市)?"
    r"(?:"
    + _ADDR_CH
    + r"{1,7}(?:区|县))?"
    + _ADDR_CH
    + r"{1,10}(?:路|街|大道|大街|巷|胡同|弄)[0-9一二三四五六七八九十百零〇]{1,6}号"
    r"(?:[0-9A-Za-z一二三四五六七八九十-]{1,6}(?:号楼|号院|栋|幢|单元|室|楼|层|号))*"
)
# Every address has a road and a house number ("…路88号"); the search starts at most this many characters
# before the first of them (two to ten characters of province, city, district and street name each).
_ADDRESS_TAIL = re.compile(r"(?:路|街|大道|大街|巷|胡同|弄)[0-9一二三四五六七八九十百零〇]{1,6}号").search
_ADDRESS_REACH = 40
_ADDR_STRONG = re.compile(r"省|市|区|县|自治区")
_ADDR_CONTEXT = re.compile(r"(?:地址|住在|住址|寄到|送到|发到|改成|改到)\s*[:：是为]?\s*$")

# Entities that look like personal data but are not.
TRACKING_RE = re.compile(
    _NB
    + r"(?:SF[0-9]{12,15}|JD[A-Z]{0,4}[0-9]{11,15}|YT[0-9]{13,15}|JT[0-9]{13}"
    + r"|DPK[0-9]{9,12}|[A-Z]{2}[0-9]{9}CN)"
    + _NA,
    re.I,
)
TRACKING_CTX_RE = re.compile(
    r"(?:快递单号|运单号|物流单号|快递号|运单编号|tracking\s*(?:number|no\.?|#)|"
    r"(?:顺丰|中通|圆通|申通|韵达|京东|邮政|EMS|极兔|德邦|百世)(?:快递|物流)?(?:单号)?)"
    r"\s*[:：是为#]?\s*([A-Za-z]{0,4}[0-9]{8,22}[A-Za-z0-9]{0,4})" + _NA,
    re.I,
)
ORDER_CTX_RE = re.compile(
    r"(?:订单号|订单编号|订单|单号|编号|order\s*(?:number|no\.?|id|#)?)\s*[:：是为#]?\s*([A-Za-z]{0,4}[0-9]{6,24}[A-Za-z0-9]{0,6})"
    + _NA,
    re.I,
)

_DIGIT = re.compile(r"[0-9]")
# Every personal number has four digits in a row (a mobile "138 1234 5678", a card in groups of four); IDs,
# ungrouped cards and landlines have seven.  Most messages have neither, and their patterns are not tried.
_FOUR_DIGITS = re.compile(r"[0-9]{4}").search
_SEVEN_DIGITS = re.compile(r"[0-9]{7}").search
_SIX_DIGITS = re.compile(r"[0-9]{6}").search
_EMAIL_REACH = 64  # the longest local part: an address starts at most this far before its "@"
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_PROVINCES = frozenset(
    f"{n}"
    for n in (
        *range(11, 16),
        *range(21, 24),
        *range(31, 38),
        *range(41, 47),
        *range(50, 55),
        *range(61, 66),
        71,
        81,
        82,
    )
)


def id_check_char(first17: str) -> str:
    """GB 11643-1999 check character for the first 17 digits of a resident ID."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def _valid_date(y: int, m: int, d: int) -> bool:
    try:
        born = date(y, m, d)
    except ValueError:
        return False
    return date(1880, 1, 1) <= born <= date.today()


def looks_like_id18(number: str) -> bool:
    """Shape of an 18-digit ID (province, birth date) regardless of the check digit."""
    return (
        len(number) == 18
        and number[:17].isdigit()
        and number[:2] in _PROVINCES
        and _valid_date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    )


def valid_id18(number: str) -> bool:
    """An 18-digit resident ID whose check digit is right."""
    return looks_like_id18(number) and id_check_char(number[:17]) == number[17].upper()


def valid_id15(number: str) -> bool:
    """A legacy 15-digit ID (no check digit): known province and a real 19YY birth date."""
    return (
        len(number) == 15
        and number.isdigit()
        and number[:2] in _PROVINCES
        and _valid_date(1900 + int(number[6:8]), int(number[8:10]), int(number[10:12]))
    )


def luhn_ok(digits: str) -> bool:
    """Luhn (mod 10) checksum used by every bank card scheme."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = ord(ch) - 48
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def find_codes(norm: str) -> list[Span]:
    """Order numbers and courier tracking numbers (entities, never personal data)."""
    if _SIX_DIGITS(norm) is None:
        return []  # every code has six digits in a row
    out: list[Span] = []
    for m in TRACKING_RE.finditer(norm):
        out.append(Span("tracking_number", m.start(), m.end()))
    for m in TRACKING_CTX_RE.finditer(norm):
        out.append(Span("tracking_number", m.start(1), m.end(1)))
    for m in ORDER_CTX_RE.finditer(norm):
        s = Span("order_number", m.start(1), m.end(1))
        if not any(s.overlaps(o) for o in out):
            out.append(s)
    return _dedupe(out)


def _dedupe(spans: list[Span]) -> list[Span]:
    """Keep the first span of any overlapping group (callers list higher-priority spans first)."""
    kept: list[Span] = []
    for s in spans:
        if not any(s.overlaps(k) for k in kept):
            kept.append(s)
    kept.sort(key=lambda s: s.start)
    return kept


def find_pii(norm: str, codes: list[Span] | None = None) -> list[Span]:
    """All personal data in *norm*, validated, without overlaps, sorted by start."""
    if codes is None:
        codes = find_codes(norm)
    found: list[Span] = []
    blocked: list[Span] = list(codes)
    if _FOUR_DIGITS(norm) is not None:
        long_run = _SEVEN_DIGITS(norm) is not None
        if long_run:
            for m in ID18_RE.finditer(norm):
                number = m.group()
                if valid_id18(number):
                    found.append(Span("id_card", m.start(), m.end()))
                elif looks_like_id18(number):  # an ID with a wrong check digit: neither ID nor bank card
                    blocked.append(Span("invalid", m.start(), m.end()))
            for m in ID15_RE.finditer(norm):
                if valid_id15(m.group()):
                    found.append(Span("id_card", m.start(), m.end()))
        for m in BANK_RE.finditer(norm):
            digits = m.group().replace(" ", "").replace("-", "")
            if digits[0] in "2345669" and luhn_ok(digits):
                found.append(Span("bank_card", m.start(), m.end()))
        for m in MOBILE_RE.finditer(norm):
            found.append(Span("phone", m.start(), m.end()))
        if long_run:
            for m in LANDLINE_RE.finditer(norm):
                found.append(Span("landline", m.start(), m.end()))
    at = norm.find("@")
    if at >= 0:
        for m in EMAIL_RE.finditer(norm, max(0, at - _EMAIL_REACH)):
            found.append(Span("email", m.start(), m.end()))
    for m in NAME_RE.finditer(norm):
        found.append(Span("name", m.start(1), m.end(1)))
    tail = _ADDRESS_TAIL(norm) if "号" in norm else None
    if tail is not None:
        for m in ADDRESS_RE.finditer(norm, max(0, tail.start() - _ADDRESS_REACH)):
            strong = _ADDR_STRONG.search(m.group()) or _ADDR_CONTEXT.search(
                norm[max(0, m.start() - 8) : m.start()]
            )
            if strong:
                found.append(Span("address", m.start(), m.end()))
    if not found:
        return found
    found = [s for s in found if not any(s.overlaps(b) for b in blocked)]
    return _dedupe(found)


# ------------------------------------------------------------------------------------------- lenient mode

# What people type between digit groups, after normalisation (full-width forms are already half-width):
# space, dot, hyphen, underscore, middle dots, the CJK full stop, and every dash.
_SEP = " ._\\-\u00b7\u2010-\u2015\u2022\u2027\u2212\u3002\u30fb\ufe58\ufe63\uff65"
_RUN_RE = re.compile(
    r"(?<![0-9])[0-9](?:[" + _SEP + r"]{0,3}[0-9])*(?:[" + _SEP + r"]{0,3}[Xx](?![A-Za-z]))?"
)
_GROUP_RE = re.compile(r"[0-9]+|[Xx]")
_CODE_BEFORE_RE = re.compile(
    r"(?:快递单号|运单号|物流单号|快递号|运单编号|订单号|订单编号|订单|单号|编号|"
    r"tracking\s*(?:number|no\.?|#)?|order\s*(?:number|no\.?|id|#)?)\s*[:：是为#]?\s*$",
    re.I,
)
_MOBILE_DIGITS_RE = re.compile(r"(?:0086|86)?1[3-9][0-9]{9}")
_LONGEST = 19  # no personal number of interest has more digits (a 19-digit card)


def _shape(digits: str, groups: list[str], whole: bool) -> str | None:
    """The kind of personal number these digits have the shape of, checksums ignored; None if none."""
    n = len(digits)
    if _MOBILE_DIGITS_RE.fullmatch(digits):
        return "phone"
    if n == 18 and looks_like_id18(digits):
        return "id_card"
    if n == 15 and valid_id15(digits):
        return "id_card"
    if whole and 16 <= n <= 19 and digits.isdigit():
        if len(groups) == 1:
            return "bank_card" if luhn_ok(digits) or digits[0] in "3456" else None
        if all(len(g) == 4 for g in groups[:-1]) or digits[0] in "3456":
            return "bank_card"
    return None


def _run_spans(run: re.Match[str]) -> list[Span]:
    """Personal numbers inside one digit run: the whole run if it has a shape, else its longest group
    sequences shaped like a mobile or an ID."""
    base = run.start()
    groups = [(base + g.start(), base + g.end(), g.group()) for g in _GROUP_RE.finditer(run.group())]
    texts = [g[2] for g in groups]
    kind = _shape("".join(texts), texts, whole=True)
    if kind is not None:
        return [Span(kind, groups[0][0], groups[-1][1])]
    out: list[Span] = []
    i = 0
    while i < len(groups):
        found = None
        width, j = 0, i
        ends: list[int] = []
        while j < len(groups) and width + len(texts[j]) <= _LONGEST:
            width += len(texts[j])
            j += 1
            ends.append(j)
        for end in reversed(ends):  # the longest shape first: an ID before a mobile inside it
            kind = _shape("".join(texts[i:end]), texts[i:end], whole=False)
            if kind is not None:
                found = (kind, end)
                break
        if found is None:
            i += 1
            continue
        out.append(Span(found[0], groups[i][0], groups[found[1] - 1][1]))
        i = found[1]
    return out


def find_pii_lenient(norm: str, codes: list[Span] | None = None) -> list[Span]:
    """Everything :func:`find_pii` finds, plus numbers that only have the shape of personal data.

    For text leaving the agent's desk.  Digit groups joined by spaces, dots or dashes are read as one number;
    a mobile, an 18-digit ID with a real birth date (any check digit) or a card-shaped run of 16–19 digits is
    personal data.  Runs inside or right after an order or courier number stay readable.
    """
    if codes is None:
        codes = find_codes(norm)
    strict = find_pii(norm, codes)
    if _DIGIT.search(norm) is None:
        return strict
    extra: list[Span] = []
    for run in _RUN_RE.finditer(norm):
        if _CODE_BEFORE_RE.search(norm[max(0, run.start() - 24) : run.start()]):
            continue
        for span in _run_spans(run):
            if not any(span.overlaps(c) for c in codes):
                extra.append(span)
    if not extra:
        return strict
    return _dedupe([*strict, *extra])


def _mask_digits(s: str, keep_head: int, keep_tail: int) -> str:
    """Replace digits with '*' except the first *keep_head* and last *keep_tail* digits; keep separators."""
    positions = [i for i, c in enumerate(s) if c.isdigit() or c in "Xx"]
    hide = (
        set(positions[keep_head : len(positions) - keep_tail])
        if len(positions) > keep_head + keep_tail
        else set()
    )
    return "".join("*" if i in hide else c for i, c in enumerate(s))


def mask_span(kind: str, s: str) -> str:
    """Display-safe form of one personal-data span: enough left to recognise, not enough to misuse."""
    if kind == "phone":
        digits = [i for i, c in enumerate(s) if c.isdigit()]
        hide = set(digits[-8:-4])  # 138****5678, also with +86 and separators
        return "".join("*" if i in hide else c for i, c in enumerate(s))
    if kind == "landline":
        return _mask_digits(s, 0, 4) if "-" not in s and ")" not in s and "）" not in s else _mask_landline(s)
    if kind in ("id_card", "bank_card"):
        return _mask_digits(s, 0, 4)
    if kind == "email":
        local, _, domain = s.partition("@")
        return local[:1] + "***@" + domain
    if kind == "name":
        return s[:1] + "*" * (len(s) - 1)
    if kind == "address":
        cut = max(s.rfind(k) for k in "省市区县")
        keep = cut + 1 if cut >= 0 else 0
        return s[:keep] + "*" * (len(s) - keep)
    return "*" * len(s)


def _mask_landline(s: str) -> str:
    """Keep the area code (not personal) and the last four digits."""
    m = re.match(r"^[(（]?0[0-9]{2,3}[)）]?[- ]?", s)
    head = m.group() if m else ""
    return head + _mask_digits(s[len(head) :], 0, 4)


def apply_mask(text: str, spans: list[Span]) -> str:
    """Rebuild *text* with each personal-data span replaced by its masked form."""
    if not spans:
        return text
    parts: list[str] = []
    pos = 0
    for s in spans:
        parts.append(text[pos : s.start])
        parts.append(mask_span(s.kind, text[s.start : s.end]))
        pos = s.end
    parts.append(text[pos:])
    return "".join(parts)
