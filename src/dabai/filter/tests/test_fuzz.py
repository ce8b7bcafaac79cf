"""Robustness: whatever the input, analyse never crashes and every span lies inside the text."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dabai.filter import analyse, analyse_many, mask
from dabai.filter.normalise import normalise

MIXED = st.text(
    alphabet=st.one_of(
        st.characters(),
        st.sampled_from(
            "0123456789０１２３４５６７８９-@.：:，。号路区市订单快递SF😀🙏\u200b\u0000\t\n\r\x7f"
        ),
    ),
    max_size=300,
)


def assert_spans_inside(text: str) -> None:
    d = analyse(text).to_dict()
    for item in d["pii"] + d["entities"]:
        assert 0 <= item["start"] < item["end"] <= len(text)
    for e in d["entities"]:
        assert text[e["start"] : e["end"]] == e["text"]
    for cues in d["why"].values():
        for c in cues:
            if "start" in c:
                assert 0 <= c["start"] <= c["end"] <= len(text)
                assert text[c["start"] : c["end"]] == c["text"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MIXED)
def test_arbitrary_unicode_never_crashes_and_spans_stay_inside(text: str) -> None:
    assert_spans_inside(text)
    assert len(normalise(text)) == len(text)
    assert len(mask(text)) >= 0


@settings(max_examples=40, deadline=None)
@given(
    st.lists(MIXED, max_size=8), st.sampled_from([None, "email", "chat", "sms", "phone", "weibo", "wechat"])
)
def test_batches_of_noise_give_one_analysis_per_input(texts: list[str], channel: str | None) -> None:
    assert len(analyse_many(texts, channel)) == len(texts)


def test_huge_input_is_handled_and_spans_stay_inside() -> None:
    text = ("我的快递SF1234567890123还没到，电话13812345678。" * 20_000) + "😀" * 1000
    d = analyse(text).to_dict()
    assert d["pii"] and all(p["end"] <= len(text) for p in d["pii"])


def test_personal_data_is_masked_all_through_a_long_text() -> None:
    text = "".join(f"第{i}条，联系电话1391234{i % 10000:04d}，谢谢。" for i in range(3000))
    masked = mask(text)
    assert "1391234" not in masked
    assert masked.count("139****") == 3000


def test_control_characters_and_lone_combining_marks() -> None:
    for text in ["\x00\x01\x02", "\u0301\u0301", "\ud7ff", "a\u202eb", "\ufeff13812345678", "\U0010ffff"]:
        assert_spans_inside(text)


def test_traditional_script_keeps_offsets() -> None:
    text = "聯繫電話13812345678，訂單還沒發貨"
    assert normalise(text) == "联系电话13812345678,订单还没发货"  # full-width comma folded too
    assert analyse(text).to_dict()["pii"] == [{"kind": "phone", "start": 4, "end": 15}]
