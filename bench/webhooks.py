"""Webhooks at scale on PostgreSQL: 10,000 events to 5 endpoints on loopback (3 fast, 1 slow, 1 failing).

1. The cost on the inbound path: the drain's ``receive_messages`` for 5,000 customer messages (each opening a
   conversation: 10,000 events, conversation.created + message.received), in batches of 100, with no endpoint
   subscribed and then with 5. Delivery never runs there (it is a task after commit); what is measured is
   storing the events and their deliveries in the drain's transaction. The request path (the door storing the
   raw payload) does not emit at all.
2. Deliveries per second: 8 worker threads take due deliveries and run one attempt each (claim → signed POST →
   settle), until the healthy endpoints have everything; the failing endpoint's deliveries go to their retry
   schedule (and the second event of each of its conversations waits behind the first, in order).

BENCH_WEBHOOK_MESSAGES overrides 5,000; BENCH_WEBHOOK_THREADS overrides 8.
"""

import os
import queue
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from _django import fresh_postgres, setup_django

MESSAGES = int(os.environ.get("BENCH_WEBHOOK_MESSAGES", "5000"))
THREADS = int(os.environ.get("BENCH_WEBHOOK_THREADS", "8"))
BATCH = 100
SLOW_SECONDS = 0.2


def receiver(status: int, delay: float = 0.0) -> tuple[ThreadingHTTPServer, list[int]]:
    hits: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keeps connections open, as real receivers do

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if delay:
                time.sleep(delay)
            hits.append(status)
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, hits


def ingest(first: int, count: int) -> list[float]:
    """Per-batch seconds of receive_messages for ``count`` new customers' first messages."""
    from dabai.conversations.services import Inbound, receive_messages
    from dabai.customers.services import Handle

    times = []
    for start in range(first, first + count, BATCH):
        items = [
            Inbound(
                channel="sms",
                body="我的订单还没到，麻烦查一下",
                handle=Handle("sms", f"1390000{n:04d}"),
                external_id=f"b{n}",
            )
            for n in range(start, min(start + BATCH, first + count))
        ]
        began = time.perf_counter()
        receive_messages(items, analyse=False)
        times.append(time.perf_counter() - began)
    return times


def deliver_all(deadline_seconds: float = 300.0) -> tuple[int, float]:
    """Attempt every due delivery with worker threads until nothing is due; returns (attempts, seconds)."""
    from django.db import close_old_connections, connection
    from django.utils import timezone

    from dabai.webhooks import services
    from dabai.webhooks.models import Delivery, DeliveryStatus

    attempts = 0
    began = time.perf_counter()
    while time.perf_counter() - began < deadline_seconds:
        due = list(
            Delivery.objects.filter(
                status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now(), leased_until__isnull=True
            ).values_list("pk", "attempts")
        )
        if not due:
            break
        jobs: queue.Queue = queue.Queue()
        for job in due:
            jobs.put(job)
        done = [0] * THREADS

        def work(slot: int, jobs: queue.Queue = jobs, done: list[int] = done) -> None:
            try:
                while True:
                    try:
                        pk, n = jobs.get_nowait()
                    except queue.Empty:
                        return
                    if services.deliver(pk, n) != "skipped":
                        done[slot] += 1
            finally:
                connection.close()

        threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        close_old_connections()
        attempts += sum(done)
    return attempts, time.perf_counter() - began


def main() -> None:
    fresh_postgres("bench_webhooks")
    setup_django()
    from django.db import connection

    from dabai.webhooks import services
    from dabai.webhooks.models import Delivery, DeliveryStatus, Event

    services.set_policy(allow_private_addresses=True, actor=None)
    half = MESSAGES
    baseline = ingest(0, half)
    servers = {
        "fast-1": receiver(200),
        "fast-2": receiver(200),
        "fast-3": receiver(200),
        "slow": receiver(200, SLOW_SECONDS),
        "failing": receiver(500),
    }
    for name, (server, _) in servers.items():
        services.create_endpoint(name, f"http://127.0.0.1:{server.server_port}/hook", [], actor=None)
    with_endpoints = ingest(half, half)
    events = Event.objects.count()
    per_message_before = sum(baseline) / half * 1000
    per_message_after = sum(with_endpoints) / half * 1000
    print(f"inbound (drain's receive_messages), {half} messages each, batches of {BATCH}:")
    print(
        f"  no endpoint: {per_message_before:.3f} ms/message; 5 endpoints: {per_message_after:.3f} ms/message"
    )
    print(
        f"  added by storing {events} events and {Delivery.objects.count()} deliveries: "
        f"{per_message_after - per_message_before:.3f} ms/message "
        "(in the drain; the request path emits nothing)"
    )

    attempts, seconds = deliver_all()
    delivered = Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count()
    print(
        f"deliveries: {attempts} attempts in {seconds:.1f} s with {THREADS} threads = "
        f"{attempts / seconds:.0f} attempts/s; "
        f"{delivered} delivered ({delivered / seconds:.0f}/s)"
    )
    for name, (_, hits) in servers.items():
        pending = Delivery.objects.filter(endpoint__name=name, status=DeliveryStatus.PENDING).count()
        print(f"  {name:8s} {len(hits):6d} requests, {pending:6d} still pending")
    for server, _ in servers.values():
        server.shutdown()
    connection.close()


if __name__ == "__main__":
    main()
