"""Writing many rows where Django's ``bulk_create`` and ``bulk_update`` are too slow.

``bulk_update`` builds a ``CASE WHEN`` expression per field and row in Python: for a batch of two hundred
inbound payloads that costs more than everything else in the batch. ``UPDATE … FROM (VALUES …)`` is
standard SQL that PostgreSQL and SQLite (3.33+) both run, with the values adapted by the fields themselves.

``bulk_create`` on PostgreSQL sends each column as an array for ``UNNEST``; psycopg escapes every quote of
every JSON document in such an array with a regular expression, so inserting messages and the filter's
readings (a kilobyte of JSON each) cost more than reading them. ``insert_rows`` uses ``COPY`` there instead
(ids drawn from the table's sequence first, so the caller gets them as from ``bulk_create``): about four
times faster for a thousand readings.
"""

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connection, models

CHUNK = 500
M = TypeVar("M", bound=models.Model)


def insert_rows(model: type[M], objs: list[M]) -> list[M]:
    """Insert new model instances and set their primary keys, like ``bulk_create`` (no conflict handling:
    a unique violation raises ``IntegrityError`` and nothing of the batch is kept)."""
    if not objs:
        return objs
    if connection.vendor != "postgresql":
        return model.objects.bulk_create(objs)
    meta = model._meta
    fields = list(meta.concrete_fields)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
        rows = [
            [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]
            for obj in objs
        ]
        columns = ", ".join(quote(field.column) for field in fields)
        with (
            connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


def update_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    where_null: Sequence[str] = (),
) -> list[Any]:
    """Set ``fields`` row by row; each row is ``(pk, value, value, …)`` in the order of ``fields``.

    ``where_null`` names fields that must still be NULL for a row to change (a guard against a concurrent
    writer: e.g. ``("assignee",)`` leaves a conversation alone that an agent picked meanwhile). Returns the
    primary keys of the rows that did change (``RETURNING``), so callers announce only what they wrote.
    """
    meta = model._meta
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    placeholder = "(" + ", ".join(_placeholder(column) for column in columns) + ")"
    assignments = ", ".join(
        f"{quote(column.column)} = v.column{index + 2}" for index, column in enumerate(columns[1:])
    )
    conditions = "".join(f" AND {table}.{quote(meta.get_field(name).column)} IS NULL" for name in where_null)
    changed: list[Any] = []
    for start in range(0, len(rows), CHUNK):
        part = rows[start : start + CHUNK]
        sql = (
            f"UPDATE {table} SET {assignments} FROM (VALUES {', '.join([placeholder] * len(part))}) AS v "
            f"WHERE {table}.{quote(meta.pk.column)} = v.column1{conditions} "
            f"RETURNING {table}.{quote(meta.pk.column)}"
        )
        params = [
            column.get_db_prep_save(value, connection)
            for row in part
            for column, value in zip(columns, row, strict=True)
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            changed.extend(row[0] for row in cursor.fetchall())
    return changed


def _placeholder(field: models.Field) -> str:
    """PostgreSQL needs the VALUES typed; SQLite has no column types to cast to (a cast would change them)."""
    if connection.vendor != "postgresql":
        return "%s"
    target = field.target_field if field.is_relation else field
    return (
        f"CAST(%s AS {target.rel_db_type(connection) if field.is_relation else target.db_type(connection)})"
    )
