"""The express lane's check, as a PostgreSQL function (``dabai.channels.express._statement``).

It takes the drain's advisory lock shared without waiting, then reads the drain request in a query of its
own: a VOLATILE function's queries each take a fresh snapshot (READ COMMITTED), so the read comes after the
lock, which one statement's own snapshot (taken before anything in it runs) could not promise. Nothing on
SQLite, where the lane does not run.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION customer_channels_lane_may_store(lock_key bigint, stale_after interval)
RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF NOT pg_try_advisory_xact_lock_shared(lock_key) THEN
        RETURN false;  -- a drain is starting (drain_started holds the lock): Django's door takes it
    END IF;
    PERFORM 1 FROM customer_channels_drainrequest WHERE id = 1 AND queued_at >= now() - stale_after;
    RETURN FOUND;
END
$$
"""
DROP = "DROP FUNCTION IF EXISTS customer_channels_lane_may_store(bigint, interval)"


def _on_postgresql(sql: str):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("customer_channels", "0007_import_shards")]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
