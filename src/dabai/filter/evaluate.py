"""``dabai filter evaluate``: per-label precision / recall / F1 and confusion matrices.

Pure Python on purpose: users evaluate the shipped model on their own labelled data without installing the
training extras.  Every labelled signal present in the data is scored; a signal with no labels is skipped.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from .analysis import analyse_many
from .model import Model, load_model

# signal -> how to read the gold label from a record and the prediction from Analysis.to_dict()
SIGNALS = ("sentiment", "intent", "voice", "escalation", "spam", "urgency", "address_register")
BINARY = ("escalation", "spam")
CALIBRATED = ("sentiment", "intent", "voice")
CAL_EDGES = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def _bool(v: Any) -> bool | None:
    if isinstance(v, bool):
        return v
    if v is None or v == "":
        return None
    return str(v).strip().lower() in ("1", "true", "yes", "y", "t")


def read_records(path: str | Path) -> list[dict[str, Any]]:
    """Labelled records from JSONL (one object per line) or CSV (header row)."""
    p = Path(path)
    with open(p, encoding="utf-8") as f:
        if p.suffix.lower() == ".csv":
            return [dict(r) for r in csv.DictReader(f)]
        return [json.loads(line) for line in f if line.strip()]


def gold(record: dict[str, Any], signal: str) -> str | None:
    """Gold label of *signal* in *record* as a string, or None when unlabelled."""
    if signal in BINARY:
        b = _bool(record.get(signal))
        return None if b is None else str(b).lower()
    if signal == "address_register":
        if "address_form" not in record:
            return None
        af = record["address_form"]
        return af.get("register", "none") if isinstance(af, dict) else "none"
    if signal in ("intent", "voice") and _bool(record.get("spam")):
        return None  # spam has no intent or voice
    v = record.get(signal)
    return None if v in (None, "") else str(v)


def predicted(result: dict[str, Any], signal: str) -> str:
    if signal == "escalation":
        return str(result["escalation"]["risk"]).lower()
    if signal == "spam":
        return str(result["spam"]["is_spam"]).lower()
    if signal == "address_register":
        return result["address_form"]["register"] if result["address_form"] else "none"
    v = result[signal]
    return "none" if v is None else v["label"]


def scores(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Accuracy, per-label P/R/F1/support, macro F1 and the confusion matrix (rows gold, cols predicted)."""
    labels = sorted({g for g, _ in pairs} | {p for _, p in pairs})
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for g, p in pairs:
        matrix[index[g]][index[p]] += 1
    per: dict[str, dict[str, float]] = {}
    for label, i in index.items():
        tp = matrix[i][i]
        fp = sum(matrix[r][i] for r in range(len(labels))) - tp
        fn = sum(matrix[i]) - tp
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per[label] = {
            "precision": round(prec, 4),
            "recall": round(rec, 4),
            "f1": round(f1, 4),
            "support": tp + fn,
        }
    gold_labels = [label for label in labels if per[label]["support"]]
    return {
        "n": len(pairs),
        "accuracy": round(sum(g == p for g, p in pairs) / len(pairs), 4) if pairs else 0.0,
        "macro_f1": round(sum(per[label]["f1"] for label in gold_labels) / max(1, len(gold_labels)), 4),
        "labels": per,
        "confusion": {"labels": labels, "matrix": matrix},
    }


def evaluate(
    records: Iterable[dict[str, Any]],
    model: Model | None = None,
    results: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Run the filter over *records* (or take its *results*, ``Analysis.to_dict()`` each, already computed)
    and score every labelled signal.

    Besides per-label scores: the share of plain questions read as neutral (the badge that cries wolf when it
    is low), and a calibration table per multi-class signal (is a 0.9 label right nine times in ten?).
    """
    records = list(records)
    if results is None:
        results = [a.to_dict() for a in analyse_many(records, model=model)]
    out: dict[str, Any] = {}
    for signal in SIGNALS:
        pairs = [
            (g, predicted(r, signal))
            for rec, r in zip(records, results, strict=True)
            if (g := gold(rec, signal))
        ]
        if pairs:
            out[signal] = scores(pairs)
            if signal in BINARY:
                out[signal]["f1"] = out[signal]["labels"].get("true", {}).get("f1", 0.0)
            if signal in CALIBRATED:
                out[signal]["calibration"] = calibration(
                    [
                        (float(r[signal]["score"]) if r[signal] else 1.0, g == predicted(r, signal))
                        for rec, r in zip(records, results, strict=True)
                        if (g := gold(rec, signal))
                    ]
                )
    plain = [
        predicted(r, "sentiment") == "neutral"
        for rec, r in zip(records, results, strict=True)
        if is_plain_question(rec)
    ]
    if plain:
        out["plain_questions_neutral"] = {"n": len(plain), "rate": round(sum(plain) / len(plain), 4)}
    return out


def is_plain_question(record: dict[str, Any]) -> bool:
    """A question that carries no complaint: gold voice "question", gold sentiment neutral, not spam."""
    return (
        record.get("voice") == "question"
        and record.get("sentiment") == "neutral"
        and not _bool(record.get("spam"))
        and not _bool(record.get("escalation"))
    )


def calibration(points: list[tuple[float, bool]], edges: tuple[float, ...] = CAL_EDGES) -> dict[str, Any]:
    """Predicted confidence against observed accuracy, bin by bin, and the expected calibration error."""
    bins = []
    ece = 0.0
    for lo, hi in itertools.pairwise(edges):
        inside = [ok for conf, ok in points if lo <= conf < hi or (hi == edges[-1] and conf == hi)]
        confs = [conf for conf, _ in points if lo <= conf < hi or (hi == edges[-1] and conf == hi)]
        if not inside:
            continue
        acc = sum(inside) / len(inside)
        mean = sum(confs) / len(confs)
        ece += len(inside) / len(points) * abs(acc - mean)
        bins.append(
            {"from": lo, "to": hi, "n": len(inside), "confidence": round(mean, 3), "accuracy": round(acc, 3)}
        )
    return {"bins": bins, "ece": round(ece, 4)}


def review_sentiment(
    records: list[dict[str, Any]], model: Model | None = None, labels: list[str] | None = None
) -> dict[str, Any]:
    """Binary review sentiment, "positive vs not": a review read neutral counts as not positive.

    Reviews have no neutral label; the same definition has been reported since the first model.  *labels*:
    the predicted sentiment labels, if already computed.
    """
    if labels is None:
        labels = [a.sentiment["label"] for a in analyse_many([r["text"] for r in records], model=model)]
    correct = 0
    for rec, label in zip(records, labels, strict=True):
        correct += (label == "positive") == (rec["sentiment"] == "positive")
    return {"n": len(records), "accuracy": round(correct / len(records), 4) if records else 0.0}


def format_report(metrics: dict[str, Any]) -> str:
    """Human-readable tables: one per signal, then its confusion matrix."""
    lines: list[str] = []
    for signal, m in metrics.items():
        if not isinstance(m, dict) or "labels" not in m:
            continue
        head = f"{signal}: n={m['n']} accuracy={m['accuracy']:.3f} macro-F1={m['macro_f1']:.3f}"
        if "f1" in m:
            head += f" F1(true)={m['f1']:.3f}"
        lines += [head, f"  {'label':<18}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}"]
        for label, s in m["labels"].items():
            lines.append(
                f"  {label:<18}{s['precision']:>10.3f}{s['recall']:>10.3f}{s['f1']:>10.3f}{s['support']:>9d}"
            )
        labels = m["confusion"]["labels"]
        lines.append("  confusion (rows = gold, columns = predicted):")
        lines.append("  " + " " * 18 + "".join(f"{label[:8]:>9}" for label in labels))
        for label, row in zip(labels, m["confusion"]["matrix"], strict=True):
            lines.append(f"  {label:<18}" + "".join(f"{v:>9d}" for v in row))
        if "calibration" in m:
            lines.append(f"  calibration (ECE {m['calibration']['ece']:.3f}): confidence -> accuracy")
            for b in m["calibration"]["bins"]:
                lines.append(
                    f"    [{b['from']:.1f}, {b['to']:.1f})  n={b['n']:<5d} "
                    f"confidence {b['confidence']:.3f}  accuracy {b['accuracy']:.3f}"
                )
        lines.append("")
    if "plain_questions_neutral" in metrics:
        p = metrics["plain_questions_neutral"]
        lines.append(f"plain questions read neutral: {p['rate']:.3f} of {p['n']}\n")
    return "\n".join(lines)


def evaluate_command(args: argparse.Namespace, out: TextIO) -> int:
    """One file, or (without a file) every held-out set with the headline table against the targets."""
    from .corpus import evaluate_sets, headline, heldout_sets, target_table

    try:
        sets = {Path(args.data).name: read_records(args.data)} if args.data else heldout_sets(args.corpus)
    except (OSError, ValueError) as exc:
        print(f"dabai filter evaluate: cannot read {args.data}: {exc}", file=out)
        return 2
    model = load_model(args.model) if args.model else load_model()
    metrics = evaluate_sets(model, sets)
    version = model.version if model else "rules"
    if args.json:
        # One file: its metrics at the top level, as ever; the held-out sets: one entry per set + headline.
        doc = next(iter(metrics.values())) if args.data else {**metrics, "headline": headline(metrics)}
        out.write(json.dumps({**doc, "model_version": version}, ensure_ascii=False, indent=1) + "\n")
        return 0
    for name, m in metrics.items():
        out.write(f"== {name}\n")
        out.write(format_report(m) if "n" not in m else f"binary sentiment accuracy={m['accuracy']:.3f}\n")
    out.write(f"== headline ({version})\n")
    for key, value, target in target_table(headline(metrics)):
        out.write(f"  {key:<42}{value:>7.3f}" + (f"  (target {target:.2f})" if target else "") + "\n")
    return 0
