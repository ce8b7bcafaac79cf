import os
import signal
import threading

from django.core.management.base import BaseCommand

from dabai.channels.drain import drain_forever, warm_up
from dabai.core import pressure
from dabai.core.profiling import profiled


class Command(BaseCommand):
    help = (
        "Drain stored inbound payloads as they arrive, until stopped (SIGTERM) or the worker that started it "
        "is gone. `dabai worker` starts one beside its task queue; run more for more drain throughput."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--parent",
            type=int,
            default=0,
            help="Stop when the process with this id (the worker that started this one) is gone.",
        )

    def handle(self, *args, parent: int, **options) -> None:
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        if parent:

            def orphaned() -> None:
                while os.getppid() == parent and not stop.wait(1):
                    pass
                stop.set()

            threading.Thread(target=orphaned, name="dabai-drain-parent", daemon=True).start()
        pressure.enable()
        warm_up()
        self.stdout.write("draining")
        self.stdout.flush()
        with profiled("drain"):
            drain_forever(stop)
