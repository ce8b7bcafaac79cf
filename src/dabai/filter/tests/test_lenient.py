"""The lenient mask, for text that leaves the agent's desk: spaced, dotted and dashed variants of mobiles, ID
numbers with a wrong check digit and card-shaped runs that fail Luhn are masked too; order and courier
numbers still never are."""

from __future__ import annotations

import re
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from dabai.filter import mask
from dabai.filter.pii import find_pii, find_pii_lenient, id_check_char
from dabai.filter.tests.test_pii import bank_cards, id_numbers, mobiles

# Separators people type between digit groups, half- and full-width, plus the dashes and dots of CJK input.
SEPARATORS = [" ", ".", "-", "_", "\u3000", "\uff0e", "\uff0d"]  # ascii and full-width
SEPARATORS += ["\u00b7", "\u30fb", "\u2014", "\u2013", "\u2010"]  # middle dots and dashes
SEPARATOR_RUNS = st.lists(st.sampled_from(SEPARATORS), min_size=1, max_size=3).map("".join)
CONTEXT_BEFORE = st.sampled_from(["手机", "我的电话是", "身份证：", "卡号 ", "联系我 ", "", "请打"])
CONTEXT_AFTER = st.sampled_from(["", "，谢谢", "。", " 急", "吧"])
DIGITS = re.compile(r"[0-9０-９]")


@st.composite
def split(draw: st.DrawFn, number: str) -> str:
    """*number* cut into groups at random places, joined by random (possibly mixed) separators."""
    cuts = sorted(draw(st.sets(st.integers(1, len(number) - 1), max_size=min(5, len(number) - 1))))
    groups = [number[a:b] for a, b in zip([0, *cuts], [*cuts, len(number)], strict=True)]
    out = groups[0]
    for group in groups[1:]:
        out += draw(SEPARATOR_RUNS) + group
    return out


def digits_of(text: str) -> str:
    return "".join(DIGITS.findall(text)).translate(str.maketrans("０１２３４５６７８９", "0123456789"))


@st.composite
def separated_mobiles(draw: st.DrawFn) -> tuple[str, str]:
    number = draw(mobiles())
    return number, draw(split(number))


@st.composite
def ids_with_any_check_digit(draw: st.DrawFn) -> str:
    number = draw(id_numbers())
    return number[:17] + draw(st.sampled_from("0123456789X"))


@settings(max_examples=200, deadline=None)
@given(separated_mobiles(), CONTEXT_BEFORE, CONTEXT_AFTER)
def test_mobile_with_any_separators_is_masked_when_text_leaves_the_desk(
    pair: tuple[str, str], before: str, after: str
) -> None:
    number, typed = pair
    masked = mask(before + typed + after, lenient=True)
    assert len(masked) == len(before + typed + after)
    assert digits_of(masked) == number[:3] + number[-4:]


@settings(max_examples=150, deadline=None)
@given(ids_with_any_check_digit(), CONTEXT_BEFORE, CONTEXT_AFTER, st.data())
def test_id_shaped_number_is_masked_even_with_a_wrong_check_digit(
    number: str, before: str, after: str, data: st.DataObject
) -> None:
    typed = data.draw(st.one_of(st.just(number), split(number)))
    masked = mask(before + typed + after, lenient=True)
    assert number[:14] not in digits_of(masked)
    assert masked.endswith(typed[-4:] + after)


@settings(max_examples=150, deadline=None)
@given(bank_cards(), st.integers(0, 9), st.sampled_from(SEPARATORS))
def test_card_shaped_run_with_separators_is_masked_even_failing_luhn(card: str, last: int, sep: str) -> None:
    card = card[:-1] + str(last)  # right or wrong check digit
    typed = sep.join(card[i : i + 4] for i in range(0, len(card), 4))
    masked = mask("卡号" + typed + "，谢谢", lenient=True)
    assert card[:12] not in digits_of(masked)
    assert digits_of(masked).endswith(card[-4:]) and masked.endswith("，谢谢")


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(["订单号", "订单号：", "订单编号", "运单号", "快递单号:", "顺丰单号", "order no. "]),
    st.one_of(id_numbers(), bank_cards(), mobiles(), st.from_regex(r"\A[0-9]{10,20}\Z")),
)
def test_order_and_tracking_numbers_stay_readable_in_lenient_mode(keyword: str, number: str) -> None:
    text = f"我的{keyword}{number}还没到"
    assert mask(text, lenient=True) == text


@settings(max_examples=60, deadline=None)
@given(st.from_regex(r"\A(?:SF[0-9]{13}|JDVA[0-9]{11}|YT[0-9]{13}|JT[0-9]{13}|EA[0-9]{9}CN)\Z"))
def test_courier_codes_stay_readable_in_lenient_mode(code: str) -> None:
    text = f"快递{code}到哪了"
    assert mask(text, lenient=True) == text


@settings(max_examples=150, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from("0123456789 .-—·　．－Xx订单号快递SF电话手机卡身份证，。abc"),
        max_size=80,
    )
)
def test_lenient_masks_everything_the_strict_finder_masks(text: str) -> None:
    lenient = find_pii_lenient(text)
    for span in find_pii(text):
        assert any(other.start <= span.start and span.end <= other.end for other in lenient)


def test_the_probe_variants_are_masked_in_lenient_mode_only() -> None:
    body = "139 12345678"
    assert mask(body) == body  # the agent-side finder stays strict
    assert mask(body, lenient=True) == "139 ****5678"
    assert mask("138.1234.5678", lenient=True) == "138.****.5678"
    assert mask("110101 19900307 4514", lenient=True) == "****** ******** 4514"
    assert mask("6222 0212 3456 7890 128", lenient=True) == "**** **** **** ***0 128"
    wrong = "11010519491231002" + ("1" if id_check_char("11010519491231002") != "1" else "2")
    assert mask("身份证" + wrong, lenient=True) == "身份证" + "*" * 14 + wrong[-4:]


def test_lenient_mode_keeps_dates_amounts_and_keyword_codes() -> None:
    for text in (
        "2026-03-07 下单，金额 1,380.00 元",
        "订单号 2024 0307 1234 5678 还没发货",
        "快递单号：SF1234567890123",
        "流水号9913812345678123",
    ):
        assert mask(text, lenient=True) == text


def test_date_next_to_a_dotted_mobile_masks_only_the_mobile() -> None:
    assert mask("2026-03-07 138.1234.5678", lenient=True) == "2026-03-07 138.****.5678"


def test_ids_of_every_birth_year_shape_are_found_as_id_cards() -> None:
    born = date(1990, 3, 7)
    for days in (0, 400, 9000):
        number = "110101" + (born + timedelta(days=days)).strftime("%Y%m%d") + "123" + "9"
        assert [s.kind for s in find_pii_lenient("号码 " + number)] == ["id_card"]
