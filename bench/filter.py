"""Benchmark of the message filter (issue 4): throughput, baselines, cold start and memory.

Runs on the same 10,000 messages (the filter corpus, cycled) in one run and prints:
full ``analyse_many`` throughput in one process, jieba-only segmentation throughput, SnowNLP sentiment
throughput, the ratios, cold start (import + model load + first message, in a fresh interpreter) and the peak
RSS of a process that only runs the filter.  Targets: >= 5,000 msg/s, >= 0.45 x jieba, >= 10 x SnowNLP,
cold start <= 1.5 s, RSS <= 400 MB.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from itertools import cycle, islice
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
N = 10_000

FILTER_RUN = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from dabai.filter import analyse, analyse_many
analyse("你好，我的快递还没到")
cold = time.perf_counter() - t0
items = json.load(sys.stdin)
analyse_many(items[:200])  # warm-up
t = time.perf_counter()
for i in range(0, len(items), 1000):
    analyse_many(items[i : i + 1000])
elapsed = time.perf_counter() - t
t = time.perf_counter()
for text, channel in items[:2000]:
    analyse(text, channel)
single = 2000 / (time.perf_counter() - t)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"cold": cold, "throughput": len(items) / elapsed, "single": single, "rss_mb": rss}))
"""


def messages() -> list[tuple[str, str | None]]:
    rows = []
    for name in ("train.jsonl", "test.jsonl"):
        with open(ROOT / "data" / "filter" / name, encoding="utf-8") as f:
            rows += [json.loads(line) for line in f if line.strip()]
    return [(r["text"], r.get("channel")) for r in islice(cycle(rows), N)]


def run_filter(items: list[tuple[str, str | None]]) -> dict[str, float]:
    """The filter in a fresh interpreter, so cold start and peak RSS are its own."""
    proc = subprocess.run(
        [sys.executable, "-c", FILTER_RUN],
        input=json.dumps(items, ensure_ascii=False),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout)


def bench_jieba(texts: list[str]) -> float:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    t = time.perf_counter()
    for text in texts:
        jieba.lcut(text)
    return len(texts) / (time.perf_counter() - t)


def bench_snownlp(texts: list[str]) -> float:
    from snownlp import SnowNLP

    score = SnowNLP("预热").sentiments
    t = time.perf_counter()
    for text in texts:
        score = SnowNLP(text).sentiments
    assert 0.0 <= score <= 1.0
    return len(texts) / (time.perf_counter() - t)


def main() -> int:
    items = messages()
    texts = [t for t, _ in items]
    f = run_filter(items)
    jieba_rate = bench_jieba(texts)
    snow_rate = bench_snownlp(texts)
    rows = [
        ("messages", f"{len(items):,}", ""),
        ("analyse_many throughput", f"{f['throughput']:,.0f} msg/s", ">= 5,000"),
        ("analyse (one at a time)", f"{f['single']:,.0f} msg/s", ""),
        ("jieba-only segmentation", f"{jieba_rate:,.0f} msg/s", ""),
        ("SnowNLP sentiment", f"{snow_rate:,.0f} msg/s", ""),
        ("ratio filter / jieba", f"{f['throughput'] / jieba_rate:.2f} x", ">= 0.45"),
        ("ratio filter / SnowNLP", f"{f['throughput'] / snow_rate:.1f} x", ">= 10"),
        ("cold start", f"{f['cold']:.2f} s", "<= 1.5"),
        ("peak RSS (filter process)", f"{f['rss_mb']:.0f} MB", "<= 400"),
    ]
    checks = [
        f["throughput"] >= 5000,
        f["throughput"] / jieba_rate >= 0.45,
        f["throughput"] / snow_rate >= 10,
        f["cold"] <= 1.5,
        f["rss_mb"] <= 400,
    ]
    for name, value, target in rows:
        print(f"{name:<28}{value:>18}   {target}")
    print("all targets met" if all(checks) else "SOME TARGETS MISSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
