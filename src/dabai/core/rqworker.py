"""The RQ worker dabai runs when REDIS_URL is set (`dabai worker`)."""

from rq.worker import SimpleWorker

from dabai.core import pressure

UPKEEP_SECONDS = 30
WORKER_TTL_SECONDS = 60


class Worker(SimpleWorker):
    """Runs jobs in-process, so the filter model loads once, does its upkeep every 30 s, and makes way for
    the doors before each job while the CPU is contended (``dabai.core.pressure``).

    RQ's upkeep includes taking over the scheduler lock that a killed worker left behind. At RQ's default
    (every ten minutes, waiting up to seven between checks) deferred jobs — retries, heartbeats and the
    sweeps that re-read messages lost with the killed worker — would stall that long after a crash.
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs["maintenance_interval"] = kwargs.get("maintenance_interval") or UPKEEP_SECONDS
        kwargs["worker_ttl"] = kwargs.get("worker_ttl") or WORKER_TTL_SECONDS
        super().__init__(*args, **kwargs)

    def execute_job(self, job, queue):
        pressure.make_way()
        return super().execute_job(job, queue)
