"""Infrastructure state only; domain data lives in the domain apps."""

from django.db import models


class WorkerHeartbeat(models.Model):
    """The task worker's pulse, written by a self-rescheduling task; read by /healthz.

    ``chain`` identifies the current heartbeat chain: a worker restart starts a new chain and the old one
    stops at its next beat, so restarts never multiply heartbeats.
    """

    name = models.CharField(max_length=50, unique=True, default="default")
    chain = models.CharField(max_length=64)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.seen_at:%H:%M:%S}"
