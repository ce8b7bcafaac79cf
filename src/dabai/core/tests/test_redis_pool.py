"""With REDIS_URL set, a process enqueues its tasks over one kept Redis connection, not one per task."""

import os
import subprocess
import sys

from dabai.core.tests.test_redis_backend import redis_url  # noqa: F401 (the suite's Redis, a fixture)

SCRIPT = """
import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dabai.config.settings")
django.setup()
import django_rq
from dabai.knowledge.tasks import bot_respond_all
connection = django_rq.get_connection()
connection.flushdb()
for i in range(20):
    bot_respond_all.enqueue([i])
pool = connection.connection_pool
print(
    django_rq.get_queue("default").count,
    len(pool._available_connections) + len(pool._in_use_connections),
    django_rq.get_connection().connection_pool is pool,
)
connection.flushdb()
"""


def test_twenty_enqueues_share_one_connection(redis_url, tmp_path):  # noqa: F811
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        DABAI_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'pool.sqlite3'}",
        REDIS_URL=redis_url.rsplit("/", 1)[0] + "/10",
    )
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, check=True, capture_output=True, text=True)
    assert out.stdout.split() == ["20", "1", "True"]
