"""Grouped cross-validation: a fold's validation text is never written or labelled by its training writers."""

from __future__ import annotations

from dabai.filter.corpus import held_out_texts, squash, training_records
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
