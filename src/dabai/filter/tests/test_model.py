"""The model file, training and evaluation: reproducible, pickle-free, and honest about quality."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from dabai.filter import analyse_many, load_model
from dabai.filter.evaluate import evaluate, read_records, scores
from dabai.filter.model import DEFAULT_MODEL, Model

DATA = Path(__file__).resolve().parents[4] / "data" / "filter"
# What the shipped model reads on the template test file, rounded down: a floor against regressions.  Reset
# with each shipped model (filter-1.457d2846: voice 0.891 -> 0.860 and intent 0.785 -> 0.802 on the templates
# while real-turn voice rose 0.807 -> 0.827 and free-written intent 0.732 -> 0.754; the template file is no
# headline, see the README).
TEMPLATE_FLOOR = {"sentiment": 0.90, "intent": 0.80, "voice": 0.86, "escalation": 0.96, "spam": 0.94}


def test_model_file_is_plain_arrays_without_pickle() -> None:
    with np.load(DEFAULT_MODEL, allow_pickle=False) as z:
        assert {"meta", "vocab", "weights", "bias"} <= set(z.files)
        meta = json.loads(str(z["meta"]))
    assert meta["version"].startswith("filter-")
    # metrics per held-out set (issue 13): the real-turn and free-written test sets, and the review test split
    assert {"real_turns", "free_written", "reviews"} <= set(meta["metrics"])
    assert {"sentiment", "intent", "voice", "escalation", "spam"} <= set(meta["metrics"]["free_written"])
    assert (Path(DEFAULT_MODEL).stat().st_size) < 20_000_000


def test_model_survives_a_save_and_load_round_trip(tmp_path: Path) -> None:
    model = load_model()
    assert model is not None
    model.save(tmp_path / "copy.npz")
    copy = Model.load(tmp_path / "copy.npz")
    texts = ["快递三天没到", "谢谢你们", "我要去12315投诉"]
    assert [a.to_dict() for a in analyse_many(texts, model=copy)] == [
        a.to_dict() for a in analyse_many(texts, model=model)
    ]


def test_a_model_file_of_the_wrong_shape_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    np.savez(
        bad,
        meta=np.array(json.dumps({"heads": []})),
        vocab=np.array("a\nb"),
        weights=np.zeros((3, 2)),
        bias=np.zeros(2),
    )
    with pytest.raises(ValueError):
        Model.load(bad)


def test_cold_load_of_the_shipped_model_is_fast() -> None:
    t = time.perf_counter()
    Model.load(DEFAULT_MODEL)
    assert time.perf_counter() - t < 1.5


def test_precision_recall_and_confusion_are_computed_per_label() -> None:
    m = scores([("a", "a"), ("a", "b"), ("b", "b"), ("b", "b")])
    assert m["accuracy"] == 0.75
    assert m["labels"]["a"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2}
    assert m["labels"]["b"]["precision"] == pytest.approx(0.6667, abs=1e-4)
    assert m["confusion"] == {"labels": ["a", "b"], "matrix": [[1, 1], [0, 2]]}


def test_shipped_model_reads_the_held_out_sets_as_its_file_records() -> None:
    """The figures stored in the model (and printed in the notes) are what the code computes today."""
    from dabai.filter.corpus import evaluate_sets, headline, heldout_sets

    model = load_model()
    recorded = model.meta["headline"]
    now = headline(evaluate_sets(model, heldout_sets(DATA)))
    assert set(now) == set(recorded)
    assert {k: round(v, 3) for k, v in now.items()} == {k: round(v, 3) for k, v in recorded.items()}


def test_shipped_model_meets_the_targets_it_meets_on_text_it_never_saw() -> None:
    """Issue 13's targets the shipped model reaches on both outside sets; a regression fails here.  (Intent,
    voice on real turns and escalation on the two real-turn positives are below target: see the README.)"""
    flat = load_model().meta["headline"]
    for held_out in ("real_turns", "free_written"):
        assert flat[f"{held_out}.sentiment"] >= 0.88
        assert flat[f"{held_out}.plain_questions_neutral"] >= 0.95
    assert flat["free_written.escalation_f1"] >= 0.90
    assert flat["reviews.sentiment_binary"] >= 0.85


def test_template_test_file_still_reads_well() -> None:
    """The old template corpus is no headline any more, but reading it much worse would mean a regression."""
    metrics = evaluate(read_records(DATA / "test.jsonl"))
    assert metrics["sentiment"]["accuracy"] >= TEMPLATE_FLOOR["sentiment"]
    assert metrics["intent"]["accuracy"] >= TEMPLATE_FLOOR["intent"]
    assert metrics["voice"]["accuracy"] >= TEMPLATE_FLOOR["voice"]
    assert metrics["escalation"]["f1"] >= TEMPLATE_FLOOR["escalation"]
    assert metrics["spam"]["f1"] >= TEMPLATE_FLOOR["spam"]


def test_training_is_reproducible_and_yields_a_working_model(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    from dabai.filter.train import train

    records = read_records(DATA / "train.jsonl")[:240]
    a = train(records, reviews=False, progress=False)
    b = train(records, reviews=False, progress=False)
    assert a.version == b.version
    assert np.array_equal(a.weights, b.weights)
    a.save(tmp_path / "small.npz")
    small = Model.load(tmp_path / "small.npz")
    result = analyse_many(["我的快递一个星期了还没到"], model=small)[0]
    assert result.model_version == a.version
    assert result.intent is not None


def test_fitting_the_heads_in_processes_gives_the_same_model() -> None:
    pytest.importorskip("sklearn")
    from dabai.filter.train import train

    records = read_records(DATA / "train.jsonl")[:200]
    one = train(records, reviews=False, progress=False)
    two = train(records, reviews=False, progress=False, jobs=2)
    assert one.version == two.version and one.meta["calibration"] == two.meta["calibration"]
    assert np.array_equal(one.weights, two.weights) and one.features == two.features


def test_evaluate_reads_csv_and_reports_only_the_signals_it_has(tmp_path: Path) -> None:
    import io

    from dabai.filter.cli import main

    data = tmp_path / "small.csv"
    data.write_text(
        "text,channel,sentiment,spam\n快递三天还没到，气死了,chat,negative,false\n谢谢你们，服务很好,wechat,positive,false\n"
        "兼职刷单日赚500加微信,sms,neutral,true\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    assert main(["evaluate", str(data), "--json"], out=out) == 0
    metrics = json.loads(out.getvalue())
    assert {"sentiment", "spam"} <= set(metrics)
    assert "intent" not in metrics and "voice" not in metrics
    assert metrics["sentiment"]["n"] == 3
