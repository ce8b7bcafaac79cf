"""Personal data is found with exact spans when valid, and never guessed."""

from __future__ import annotations

import random
from datetime import date, timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dabai.filter import analyse, mask
from dabai.filter.pii import find_pii, id_check_char, looks_like_id18, luhn_ok, valid_id18

PROVINCES = ["11", "31", "44", "51", "62", "65"]
PREFIXES = st.sampled_from(["我的", "电话", "联系我", "身份证号", "卡号是", "Tel: ", "", "，", "hi "])
SUFFIXES = st.sampled_from(["", "，谢谢", "。", " 急", "吧", "!"])


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    area = draw(st.sampled_from(PROVINCES)) + draw(st.from_regex(r"\A[0-9]{4}\Z"))
    born = date(1930, 1, 1) + timedelta(days=draw(st.integers(0, 30000)))
    body = area + born.strftime("%Y%m%d") + draw(st.from_regex(r"\A[0-9]{3}\Z"))
    return body + id_check_char(body)


@st.composite
def mobiles(draw: st.DrawFn) -> str:
    return "1" + draw(st.sampled_from("3456789")) + draw(st.from_regex(r"\A[0-9]{9}\Z"))


def luhn_complete(partial: str) -> str:
    for d in "0123456789":
        if luhn_ok(partial + d):
            return partial + d
    raise AssertionError("unreachable")


@st.composite
def bank_cards(draw: st.DrawFn) -> str:
    length = draw(st.integers(16, 19))
    prefix = draw(st.sampled_from(["62", "4", "51", "55", "622588", "9"]))
    partial = prefix + draw(st.from_regex(rf"\A[0-9]{{{length - len(prefix) - 1}}}\Z"))
    return luhn_complete(partial)


def spans_of(text: str) -> set[tuple[str, int, int]]:
    return {(p["kind"], p["start"], p["end"]) for p in analyse(text).to_dict()["pii"]}


@settings(max_examples=60, deadline=None)
@given(id_numbers(), PREFIXES, SUFFIXES)
def test_every_valid_id_card_is_found_with_its_exact_span(number: str, before: str, after: str) -> None:
    text = before + number + after
    assert ("id_card", len(before), len(before) + 18) in spans_of(text)


@settings(max_examples=60, deadline=None)
@given(id_numbers(), st.integers(0, 9), PREFIXES)
def test_wrong_id_check_digit_is_not_personal_data(number: str, shift: int, before: str) -> None:
    wrong = number[:17] + "0123456789X"[("0123456789X".index(number[17]) + 1 + shift) % 11]
    assume(not valid_id18(wrong))
    assert spans_of(before + wrong) == set()


@settings(max_examples=60, deadline=None)
@given(mobiles(), PREFIXES, SUFFIXES)
def test_every_mobile_number_is_found_and_masked(number: str, before: str, after: str) -> None:
    text = before + number + after
    assert ("phone", len(before), len(before) + 11) in spans_of(text)
    assert number[:3] + "****" + number[-4:] in mask(text)


@settings(max_examples=60, deadline=None)
@given(bank_cards(), PREFIXES, SUFFIXES)
def test_every_valid_bank_card_is_found_with_its_exact_span(card: str, before: str, after: str) -> None:
    assume(not looks_like_id18(card))  # an 18-digit number shaped like a resident ID is judged as one
    text = before + card + after
    assert ("bank_card", len(before), len(before) + len(card)) in spans_of(text)
    assert card[-4:] in mask(text) and card not in mask(text)


@settings(max_examples=60, deadline=None)
@given(bank_cards())
def test_bank_card_with_wrong_luhn_digit_is_not_personal_data(card: str) -> None:
    wrong = card[:-1] + str((int(card[-1]) + 1) % 10)
    assume(not looks_like_id18(wrong))
    assert spans_of("卡号" + wrong) == set()


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(
        ["订单号", "订单号：", "订单编号", "运单号", "快递单号:", "顺丰单号", "中通快递", "order no. "]
    ),
    st.one_of(id_numbers(), bank_cards(), mobiles(), st.from_regex(r"\A[0-9]{10,20}\Z")),
)
def test_order_and_tracking_numbers_are_never_personal_data(keyword: str, number: str) -> None:
    result = analyse(f"我的{keyword}{number}还没到").to_dict()
    assert result["pii"] == []
    assert any(
        e["kind"] in ("order_number", "tracking_number") and e["text"] == number for e in result["entities"]
    )


@settings(max_examples=40, deadline=None)
@given(st.from_regex(r"\A(?:SF[0-9]{13}|JDVA[0-9]{11}|YT[0-9]{13}|JT[0-9]{13}|EA[0-9]{9}CN)\Z"))
def test_courier_shaped_numbers_are_tracking_entities(code: str) -> None:
    result = analyse(f"快递{code}到哪了").to_dict()
    assert result["pii"] == []
    assert [e["text"] for e in result["entities"] if e["kind"] == "tracking_number"] == [code]


def test_mobile_with_country_code_and_separators_keeps_them_when_masked() -> None:
    assert mask("call +86 138-1234-5678 now") == "call +86 138-****-5678 now"


def test_mobile_inside_longer_digit_run_is_not_a_phone() -> None:
    assert spans_of("流水号9913812345678123") == set()


def test_landline_needs_a_real_area_code() -> None:
    assert spans_of("座机010-88886666") == {("landline", 2, 14)}
    assert spans_of("座机0755-2345678") == {("landline", 2, 14)}
    assert spans_of("编码000-88886666") == set()
    assert mask("座机(021)62345678") == "座机(021)****5678"


def test_legacy_15_digit_id_needs_a_real_birth_date() -> None:
    assert spans_of("老身份证110105491231002") == {("id_card", 4, 19)}
    assert spans_of("老身份证110105491331002") == set()


def test_id_card_masked_keeps_last_four() -> None:
    assert mask("身份证11010519491231002X") == "身份证**************002X"


def test_email_is_masked_but_domain_kept() -> None:
    assert mask("写信到 zhang.san@example.com 吧") == "写信到 z***@example.com 吧"


def test_weibo_mention_is_not_an_email() -> None:
    assert spans_of("@小米客服 你好") == set()


def test_name_needs_strong_evidence() -> None:
    assert spans_of("我叫王小明，电话打不通") == {("name", 2, 5)}
    assert spans_of("王小明说你们不错") == set()
    assert mask("收件人：李娜") == "收件人：李*"


def test_address_with_district_and_house_number_is_masked() -> None:
    text = "地址是上海市浦东新区张江路123号5号楼201室"
    (kind, start, end) = next(iter(spans_of(text)))
    assert (kind, text[start:end]) == ("address", "上海市浦东新区张江路123号5号楼201室")
    assert mask(text).startswith("地址是上海市浦东新区*")


def test_traditional_and_fullwidth_digits_are_found_in_original_offsets() -> None:
    text = "我的電話是１３８１２３４５６７８"
    assert spans_of(text) == {("phone", 5, 16)}
    assert mask(text) == "我的電話是１３８****５６７８"


def test_luhn_reference_values() -> None:
    assert luhn_ok("4111111111111111")
    assert not luhn_ok("4111111111111112")


def test_find_pii_on_random_digit_noise_only_reports_validated_numbers() -> None:
    rng = random.Random(7)
    for _ in range(300):
        s = "".join(rng.choice("0123456789 -") for _ in range(40))
        for span in find_pii(s):
            digits = "".join(c for c in s[span.start : span.end] if c.isdigit() or c in "Xx")
            if span.kind == "bank_card":
                assert luhn_ok(digits)
            elif span.kind == "id_card" and len(digits) == 18:
                assert valid_id18(digits)
