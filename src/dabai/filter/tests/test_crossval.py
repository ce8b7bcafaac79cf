"""Grouped cross-validation: a fold's validation text is never written or labelled by its training writers."""

from __future__ import annotations

import json

from dabai.filter.corpus import held_out_texts, heldout_sets, squash, training_records
from dabai.filter.crossval import FOLDS, fold_of


def test_each_writer_and_labelling_batch_is_one_fold_and_templates_always_train() -> None:
    assert fold_of({"group": "templates", "id": "t-1"}) == -1
    assert [
        fold_of({"group": "real_turns", "id": f"tb-{n:05d}"}) for n in (1, 1400, 1401, 2800, 2801, 6000)
    ] == [
        0,
        0,
        1,
        1,
        2,
        3,
    ]
    # later labellers, 1,000 turns each (tb-06001…07000, …08000), each in one fold, not all in the same
    assert [fold_of({"group": "real_turns", "id": f"tb-{n:05d}"}) for n in (6001, 7000, 7001, 8000)] == [
        0,
        0,
        1,
        1,
    ]
    # the third round's two labellers: tb-08001…09000 and tb-09001…10870 (the longer batch stays in one fold)
    later = [fold_of({"group": "real_turns", "id": f"tb-{n:05d}"}) for n in (8001, 9000, 9001, 10000, 10870)]
    assert later == [2, 2, 3, 3, 3]
    writers = [fold_of({"group": g, "id": "x"}) for g in ("free_train", "free_train_2", "free_train_3")]
    assert len(set(writers)) == 3 and all(0 <= f < FOLDS for f in writers)
    names = ("free_train", *(f"free_train_{n}" for n in range(2, 9)))
    assert [fold_of({"group": g, "id": "x"}) for g in names] == [0, 1, 2, 3, 0, 1, 2, 3]


def test_no_training_record_has_the_text_of_a_held_out_message() -> None:
    dropped: dict[str, int] = {}
    records = training_records(dropped=dropped)
    held_out = held_out_texts()
    assert records and held_out
    assert not any(squash(r["text"]) in held_out for r in records)
    assert sum(dropped.values()) >= 1  # "在吗在吗" is in a training and a test file: it was left out
    assert {r["group"] for r in records} >= {"real_turns", "free_train", "templates"}


def _jsonl(path, rows) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def test_two_blind_annotators_who_agree_outvote_the_first_label_and_only_then(tmp_path) -> None:
    first = {"sentiment": "neutral", "intent": "logistics", "voice": "question", "split": "train"}
    _jsonl(
        tmp_path / "real_turns.jsonl",
        [{"id": f"tb-0000{n}", "text": f"第{n}条", **first} for n in range(1, 5)]
        + [{"id": "tb-00009", "text": "测试里的话", **first, "split": "test"}],
    )
    refund = {"sentiment": "neutral", "intent": "refund_return", "voice": "request"}
    _jsonl(
        tmp_path / "second_opinions.jsonl",
        [
            # both differ from the first label and agree: theirs; they differ on intent; one reads spam
            {"id": "tb-00001", "annotators": {"a": refund, "b": refund}},
            {"id": "tb-00002", "annotators": {"a": refund, "b": {**refund, "intent": "billing"}}},
            {"id": "tb-00003", "annotators": {"a": refund, "b": {**refund, "intent": "spam"}}},
            {"id": "tb-00009", "annotators": {"a": refund, "b": refund}},  # a test record never changes
        ],
    )
    by_id = {r["id"]: r for r in training_records(tmp_path)}
    assert (by_id["tb-00001"]["intent"], by_id["tb-00001"]["voice"]) == ("refund_return", "request")
    # they disagree on intent: the first label stays; they agree on voice: theirs
    assert (by_id["tb-00002"]["intent"], by_id["tb-00002"]["voice"]) == ("logistics", "request")
    spam_read = by_id["tb-00003"]
    assert (spam_read["intent"], spam_read["voice"]) == ("logistics", "question"), "one read spam"
    assert by_id["tb-00004"]["intent"] == "logistics" and "tb-00009" not in by_id
    assert [r["intent"] for r in heldout_sets(tmp_path)["real_turns"]] == ["logistics"]
