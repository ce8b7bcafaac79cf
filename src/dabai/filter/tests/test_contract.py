"""The CLI output is a contract other tools script against: pin its shape."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from dabai.filter import Analysis, analyse, analyse_many, load_model, mask
from dabai.filter.cli import main

TOP_KEYS = {
    "id",
    "sentiment",
    "emotions",
    "intent",
    "voice",
    "escalation",
    "urgency",
    "spam",
    "pii",
    "entities",
    "address_form",
    "masked_text",
    "why",
    "model_version",
}
INTENTS = {
    "billing",
    "logistics",
    "refund_return",
    "account",
    "product_quality",
    "outage",
    "service_attitude",
    "cancellation",
    "usage_inquiry",
    "purchase_inquiry",
    "other",
}
VOICES = {"complaint", "question", "request", "suggestion", "praise"}
PII_KINDS = {"phone", "landline", "id_card", "bank_card", "email", "name", "address"}


def run_cli(stdin: str, *args: str) -> tuple[int, list[dict]]:
    out = io.StringIO()
    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        code = main(["analyse", *args, "-"], out=out)
    finally:
        sys.stdin = old
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


def assert_record_shape(rec: dict) -> None:
    assert set(rec) == TOP_KEYS
    assert rec["sentiment"]["label"] in {"negative", "neutral", "positive"}
    assert 0.0 <= rec["sentiment"]["score"] <= 1.0
    assert all(set(e) == {"label", "score"} for e in rec["emotions"])
    for key, labels in (("intent", INTENTS), ("voice", VOICES)):
        assert rec[key] is None or (set(rec[key]) == {"label", "score"} and rec[key]["label"] in labels)
    assert set(rec["escalation"]) == {"risk", "score", "cues"} and isinstance(rec["escalation"]["risk"], bool)
    assert rec["urgency"]["label"] in {"low", "normal", "high", "critical"}
    assert set(rec["spam"]) == {"is_spam", "score", "reason"}
    assert all(set(p) == {"kind", "start", "end"} and p["kind"] in PII_KINDS for p in rec["pii"])
    assert all(set(e) == {"kind", "start", "end", "text"} for e in rec["entities"])
    assert rec["address_form"] is None or set(rec["address_form"]) == {"term", "register"}
    assert isinstance(rec["masked_text"], str) and isinstance(rec["why"], dict)
    assert isinstance(rec["model_version"], str)


def test_jsonl_input_streams_one_object_per_line_with_the_pinned_shape() -> None:
    lines = [
        {"id": "a1", "channel": "weibo", "text": "@客服 快递三天还没到，再不处理我就去12315投诉"},
        {"id": 2, "channel": "phone", "text": "嗯，那个，我的手机号13812345678，帮我查下话费"},
        {"id": "x", "text": "加微信日赚500，刷单兼职 http://t.cn/abc"},
    ]
    code, out = run_cli("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines))
    assert code == 0
    assert [r["id"] for r in out] == ["a1", 2, "x"]
    for rec in out:
        assert_record_shape(rec)
    assert out[0]["escalation"]["risk"] is True and "12315" in out[0]["escalation"]["cues"]
    start = lines[1]["text"].index("138")
    assert out[1]["pii"] == [{"kind": "phone", "start": start, "end": start + 11}]
    assert "138****5678" in out[1]["masked_text"]
    assert out[2]["spam"]["is_spam"] is True and out[2]["intent"] is None and out[2]["voice"] is None


def test_malformed_line_yields_an_error_record_and_the_stream_goes_on() -> None:
    code, out = run_cli(
        '{"id": 1, "text": "你好"}\n{not json\n{"id": 3}\n{"id": 4, "text": 42}\n{"id": 5, "text": "谢谢"}\n'
    )
    assert code == 0
    assert [r.get("id") for r in out] == [1, None, None, None, 5]
    assert [r["line"] for r in out if "error" in r] == [2, 3, 4]
    assert all(set(r) == {"line", "error"} for r in out if "error" in r)


def test_plain_text_lines_get_their_line_number_as_id_and_blank_lines_are_skipped() -> None:
    code, out = run_cli("第一行，快递没到\n\n第三行 谢谢\n")
    assert code == 0
    assert [r["id"] for r in out] == [1, 3]


def test_unreadable_input_file_exits_non_zero(tmp_path: Path) -> None:
    assert main(["analyse", str(tmp_path / "missing.jsonl")], out=io.StringIO()) != 0


def test_to_dict_is_the_cli_object_without_id() -> None:
    a = analyse("订单号202411201234567890还没发货", "chat")
    assert isinstance(a, Analysis)
    assert set(a.to_dict()) == TOP_KEYS - {"id"}
    assert json.loads(json.dumps(a.to_dict())) == a.to_dict()


def test_analyse_many_accepts_texts_pairs_and_dicts_in_order() -> None:
    res = analyse_many(["你好", ("快递没到", "sms"), {"text": "退款", "channel": "email"}])
    assert [r.text for r in res] == ["你好", "快递没到", "退款"]
    assert analyse_many([]) == []


def test_mask_is_a_pure_function_of_the_text() -> None:
    assert mask("电话13912345678") == "电话139****5678"
    assert mask("没有个人信息") == "没有个人信息"


def test_python_dash_m_runs_the_cli_from_a_subprocess() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "dabai.filter", "analyse", "-"],
        input='{"id": 9, "channel": "wechat", "text": "亲，在吗？我的宽带断网了"}\n',
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    rec = json.loads(proc.stdout)
    assert_record_shape(rec)
    assert rec["address_form"] == {"term": "亲", "register": "familiar"}


def test_shipped_model_loads_offline_and_reports_its_version() -> None:
    model = load_model()
    assert model is not None
    assert analyse("你好").model_version == model.version
    assert model.meta["metrics"]["real_turns"]["intent"]["accuracy"] > 0


@pytest.mark.parametrize("bad", ["", " ", "\n"])
def test_empty_texts_analyse_cleanly(bad: str) -> None:
    assert analyse(bad).to_dict()["pii"] == []
