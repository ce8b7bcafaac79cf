"""One Redis connection pool per process for the task queue (RQ through django-rq).

django-rq builds a new client from ``RQ_QUEUES`` for every ``get_queue``: given a URL, a new connection
pool, so every enqueued task opened (and dropped) its own TCP connection, a few milliseconds each, paid by
the drain after every batch. Given a host and a ``connection_pool`` among the client arguments it uses the
pool, so a process keeps its connections and reuses them. Imported by the settings: no Django here.
"""

from typing import Any

import redis


def rq_queue(url: str, **options: Any) -> dict[str, Any]:
    """An ``RQ_QUEUES`` entry for ``url`` whose clients share one lazily connecting pool.

    The pool connects on first use and notices a fork (a new process gets fresh connections).
    """
    pool = redis.ConnectionPool.from_url(url)
    address = pool.connection_kwargs
    return {
        "HOST": address.get("host", "localhost"),
        "PORT": address.get("port", 6379),
        "DB": address.get("db", 0),
        "REDIS_CLIENT_KWARGS": {"connection_pool": pool},
        **options,
    }
