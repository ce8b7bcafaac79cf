"""Ingest benchmark: signed SMS webhooks at 200 messages/s for 60 s against a running dabai on loopback.

PostgreSQL + Redis (tasks and channel layer) as in production, `dabai serve` and `dabai worker` as
subprocesses, an open-loop load generator (asyncio, keep-alive connections) that stops by itself.

Run 1, steady: every message once. Prints stored latency (webhook answered = raw delivery committed, the
durable store the issue asks for before anything else) p50/p99, analysed latency (sent → Insight row written
by the worker's drain) p50/p99, and counts of lost (acknowledged, never stored as a message) and duplicated.
Run 2, chaos: every message delivered twice (the copy ~2 s later) and the worker killed (SIGKILL, whole
process group) half-way and restarted 3 s later; the counts must still show 0 lost and 0 duplicated.

Needs TEST_DATABASE_URL and TEST_REDIS_URL (`make bench` sets them); without them it starts its own with
scripts/test-services.sh. BENCH_INGEST_RATE / BENCH_INGEST_SECONDS override 200 / 60.
"""

import asyncio
import hashlib
import hmac
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
DABAI = str(Path(sys.executable).with_name("dabai"))
RATE = int(os.environ.get("BENCH_INGEST_RATE", "200"))
SECONDS = int(os.environ.get("BENCH_INGEST_SECONDS", "60"))
CONNECTIONS = 64
DRAIN_SECONDS = 30
SECRET = "bench-secret"
DB_NAME = "dabai_bench_ingest"
TEXTS = [
    "我的快递三天没动了，到底什么时候能到？",
    "话费多扣了50元，再不退我就投诉到工信部",
    "宽带又断了，师傅什么时候上门",
    "你好，请问发票怎么开",
    "退款一周了还没到账，你们太不负责了！",
    "谢谢你们的耐心解答，问题已经解决了",
    "订单 20261125 的冰箱送错了型号",
    "APP 登录不上去，一直提示网络错误",
]


@dataclass
class Run:
    name: str
    sent_at: dict[str, float] = field(default_factory=dict)
    stored_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    not_offered: int = 0
    deferred: list[int] = field(default_factory=list)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def services() -> tuple[str, str, str | None]:
    """Database and Redis URLs: from `make bench`, or throw-away ones started here."""
    if os.environ.get("TEST_DATABASE_URL") and os.environ.get("TEST_REDIS_URL"):
        return os.environ["TEST_DATABASE_URL"], os.environ["TEST_REDIS_URL"], None
    directory = tempfile.mkdtemp(prefix="dabai-bench-ingest-")
    subprocess.run([str(ROOT / "scripts/test-services.sh"), "start", directory], check=True)
    env = dict(
        line.removeprefix("export ").split("=", 1)
        for line in Path(directory, "env").read_text().splitlines()
        if line.startswith("export ")
    )
    return env["TEST_DATABASE_URL"], env["TEST_REDIS_URL"], directory


def fresh_database(base_url: str) -> str:
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    return base_url.rsplit("/", 1)[0] + f"/{DB_NAME}"


def fresh_redis(url: str) -> str:
    url = url.rsplit("/", 1)[0] + "/7"
    import redis

    redis.Redis.from_url(url).flushdb()
    return url


class Server:
    """`dabai serve` and `dabai worker`, each in its own process group so the worker can be killed whole."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env, self.port, self.log = env, port, log.open("ab")
        self.web = self._start([DABAI, "serve", "--port", str(port)])
        self.worker = self._start([DABAI, "worker"])

    def _start(self, args: list[str]) -> subprocess.Popen:
        return subprocess.Popen(
            args, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def kill_worker(self) -> None:
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait()

    def restart_worker(self) -> None:
        self.worker = self._start([DABAI, "worker"])

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as r:
                    if json.load(r).get("ok"):
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError("dabai did not become healthy; see the bench log")

    def stop(self) -> None:
        for process in (self.web, self.worker):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in (self.web, self.worker):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self.log.close()


def request_bytes(port: int, run_name: str, i: int) -> tuple[str, bytes]:
    external_id = f"{run_name}-{i}"
    rng = random.Random(external_id)  # a redelivery carries exactly the same message
    body = json.dumps(
        {"from": f"139{rng.randrange(10**8):08d}", "text": rng.choice(TEXTS), "id": external_id},
        ensure_ascii=False,
    ).encode()
    timestamp = str(int(time.time()))
    signature = hmac.new(SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    head = (
        f"POST /channels/sms/inbound/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        f"X-Timestamp: {timestamp}\r\nX-Signature: {signature}\r\nConnection: keep-alive\r\n\r\n"
    )
    return external_id, head.encode() + body


async def read_response(reader: asyncio.StreamReader) -> int:
    status_line = await reader.readline()
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    await reader.readexactly(length)
    return int(status_line.split()[1])


async def load(port: int, run: Run, total: int, redeliver: bool, on_half: asyncio.Event | None) -> None:
    """Open loop: message i is due at i / RATE s, sent by a pool of keep-alive connections.

    Bounded: nothing new is offered after SECONDS, and whatever could not be sent DRAIN_SECONDS later is
    counted as not offered. With ``redeliver`` every acknowledged message is sent a second time ~2 s later.
    """
    queue: asyncio.Queue = asyncio.Queue()
    start = time.monotonic()
    stop_sending = start + SECONDS + DRAIN_SECONDS
    lag = 2 * RATE

    async def schedule() -> None:
        for i in range(total):
            due = start + i / RATE
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            await queue.put((i, False))
            if redeliver and i >= lag:
                await queue.put((i - lag, True))
            if on_half is not None and i == total // 2:
                on_half.set()
        if redeliver:
            for i in range(max(0, total - lag), total):
                await queue.put((i, True))
        for _ in range(CONNECTIONS):
            await queue.put(None)

    async def sender() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while (item := await queue.get()) is not None:
            i, again = item
            if time.monotonic() > stop_sending:
                run.not_offered += 1
                continue
            external_id, data = request_bytes(port, run.name, i)
            if again and external_id not in run.sent_at:
                run.deferred.append(i)  # the original is still in flight: redeliver it at the end
                continue
            status, began = 0, time.time()
            for _ in range(3):
                began = time.time()
                try:
                    writer.write(data)
                    await writer.drain()
                    status = await read_response(reader)
                    break
                except (ConnectionError, asyncio.IncompleteReadError, IndexError):
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
            run.statuses[status] = run.statuses.get(status, 0) + 1
            if status in (200, 202):
                run.sent_at.setdefault(external_id, began)
                run.stored_ms.append((time.time() - began) * 1000)
            else:
                run.errors += 1
        writer.close()

    await asyncio.gather(schedule(), *(sender() for _ in range(CONNECTIONS)))
    deferred, run.deferred = run.deferred, []
    for i in deferred:
        queue.put_nowait((i, True))
    for _ in range(CONNECTIONS):
        queue.put_nowait(None)
    await asyncio.gather(*(sender() for _ in range(CONNECTIONS)))


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def wait_analysed(db_url: str, run: Run, timeout: float = 180) -> dict[str, int]:
    """Counts per run; waits until every acknowledged message is stored with its Insight (or time is up)."""
    deadline = time.monotonic() + timeout
    while True:
        with psycopg.connect(db_url) as conn:
            stored, distinct, analysed = conn.execute(
                """SELECT count(*), count(DISTINCT m.external_id), count(i.id)
                   FROM conversations_message m LEFT JOIN conversations_insight i ON i.message_id = m.id
                   WHERE m.channel = 'sms' AND m.external_id LIKE %s""",
                [f"{run.name}-%"],
            ).fetchone()
        done = distinct >= len(run.sent_at) and analysed >= stored
        if done or time.monotonic() > deadline:
            return {"stored": stored, "distinct": distinct, "analysed": analysed}
        time.sleep(1)


def analysed_latencies(db_url: str, run: Run) -> list[float]:
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            """SELECT m.external_id, extract(epoch from i.created_at)
               FROM conversations_message m JOIN conversations_insight i ON i.message_id = m.id
               WHERE m.channel = 'sms' AND m.external_id LIKE %s""",
            [f"{run.name}-%"],
        ).fetchall()
    return [(float(at) - run.sent_at[eid]) * 1000 for eid, at in rows if eid in run.sent_at]


def stored_ids(db_url: str, run: Run) -> set[str]:
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "SELECT external_id FROM conversations_message WHERE channel = 'sms' AND external_id LIKE %s",
            [f"{run.name}-%"],
        ).fetchall()
    return {row[0] for row in rows}


def report(run: Run, counts: dict[str, int], ids: set[str], analysed_ms: list[float], wall: float) -> bool:
    """Lost: acknowledged (200/202) but not stored. Duplicated: stored rows beyond one per id."""
    acknowledged = set(run.sent_at)
    lost = len(acknowledged - ids)
    duplicated = counts["stored"] - counts["distinct"]
    unanalysed = counts["stored"] - counts["analysed"]
    requests = sum(run.statuses.values())
    p = percentile
    print(f"-- {run.name}: {requests} requests answered in {wall:.1f} s = {requests / wall:.0f} req/s")
    print(f"   HTTP statuses {dict(sorted(run.statuses.items()))}; not offered in time: {run.not_offered}")
    stored, analysed = run.stored_ms, analysed_ms
    print(f"   stored latency   p50 {p(stored, 50):8.1f} ms  p99 {p(stored, 99):8.1f} ms (target < 50)")
    print(f"   analysed latency p50 {p(analysed, 50):8.1f} ms  p99 {p(analysed, 99):7.1f} ms (target < 1000)")
    print(
        f"   acknowledged {len(acknowledged)}, stored {counts['stored']} (distinct {counts['distinct']}), "
        f"analysed {counts['analysed']}: lost {lost}, duplicated {duplicated}, unanalysed {unanalysed}"
    )
    return lost == 0 and duplicated == 0 and unanalysed == 0


def main() -> int:
    base_db, base_redis, own_services = services()
    var = Path(tempfile.mkdtemp(prefix="dabai-bench-var-"))
    db_url, redis_url = fresh_database(base_db), fresh_redis(base_redis)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEST_")}
    env.update(
        DATABASE_URL=db_url,
        REDIS_URL=redis_url,
        DABAI_VAR_DIR=str(var),
        DABAI_WEBHOOK_SECRET=SECRET,
        DABAI_SMS_SECRET=SECRET,
        DABAI_SWEEP_SECONDS="10",
        DABAI_SWEEP_GRACE_SECONDS="30",
        LOG_LEVEL="WARNING",
    )
    subprocess.run([DABAI, "migrate", "--no-input", "-v", "0"], env=env, check=True)
    port = free_port()
    server = Server(env, port, var / "bench-ingest.log")
    ok = True
    try:
        server.wait_ready()
        total = RATE * SECONDS
        print(f"ingest: {RATE} msg/s for {SECONDS} s, SMS webhook, PostgreSQL + Redis, {os.cpu_count()} CPUs")

        steady = Run("steady")
        began = time.monotonic()
        asyncio.run(load(port, steady, total, redeliver=False, on_half=None))
        wall = time.monotonic() - began
        counts = wait_analysed(db_url, steady, timeout=300)
        ok &= report(steady, counts, stored_ids(db_url, steady), analysed_latencies(db_url, steady), wall)

        chaos = Run("chaos")

        async def chaos_run() -> None:
            half = asyncio.Event()
            loader = asyncio.create_task(load(port, chaos, total, redeliver=True, on_half=half))
            await half.wait()
            server.kill_worker()
            print("   (worker killed with SIGKILL half-way; restarting in 3 s)")
            await asyncio.sleep(3)
            server.restart_worker()
            await loader

        began = time.monotonic()
        asyncio.run(chaos_run())
        wall = time.monotonic() - began
        counts = wait_analysed(db_url, chaos, timeout=300)
        ok &= report(chaos, counts, stored_ids(db_url, chaos), analysed_latencies(db_url, chaos), wall)
    finally:
        server.stop()
        if own_services:
            subprocess.run([str(ROOT / "scripts/test-services.sh"), "stop", own_services], check=False)
    print("ingest:", "0 lost, 0 duplicated" if ok else "FAILED: messages lost, doubled or unanalysed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
