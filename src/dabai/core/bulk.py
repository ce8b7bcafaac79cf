"""Writing many rows with different values in one statement, where Django's ``bulk_update`` is too slow.

``bulk_update`` builds a ``CASE WHEN`` expression per field and row in Python: for a batch of two hundred
inbound payloads that costs more than everything else in the batch. ``UPDATE … FROM (VALUES …)`` is
standard SQL that PostgreSQL and SQLite (3.33+) both run, with the values adapted by the fields themselves.
"""

from collections.abc import Sequence
from typing import Any

from django.db import connection, models

CHUNK = 500


def update_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    where_null: Sequence[str] = (),
) -> None:
    """Set ``fields`` row by row; each row is ``(pk, value, value, …)`` in the order of ``fields``.

    ``where_null`` names fields that must still be NULL for a row to change (a guard against a concurrent
    writer: e.g. ``("assignee",)`` leaves a conversation alone that an agent picked meanwhile).
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
    for start in range(0, len(rows), CHUNK):
        part = rows[start : start + CHUNK]
        sql = (
            f"UPDATE {table} SET {assignments} FROM (VALUES {', '.join([placeholder] * len(part))}) AS v "
            f"WHERE {table}.{quote(meta.pk.column)} = v.column1{conditions}"
        )
        params = [
            column.get_db_prep_save(value, connection)
            for row in part
            for column, value in zip(columns, row, strict=True)
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def _placeholder(field: models.Field) -> str:
    """PostgreSQL needs the VALUES typed; SQLite has no column types to cast to (a cast would change them)."""
    if connection.vendor != "postgresql":
        return "%s"
    target = field.target_field if field.is_relation else field
    return (
        f"CAST(%s AS {target.rel_db_type(connection) if field.is_relation else target.db_type(connection)})"
    )
