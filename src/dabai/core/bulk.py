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

import json
from collections.abc import Callable, Sequence
from functools import cache
from operator import attrgetter
from typing import Any, TypeVar

from django.db import connection, models
from django.db.models.base import ModelState
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init
from django.utils import timezone

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
        now = timezone.now()
        for field in _stamped_fields(model):  # as pre_save stamps them on insert, one time for the batch
            for obj in objs:
                setattr(obj, field.attname, now)
        getters = _copy_getters(model)
        rows = [[get(obj) for get in getters] for obj in objs]
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


def build(model: type[M], values: dict[str, Any]) -> M:
    """A new, unsaved instance with ``values`` (by attribute name: ``conversation_id``), the same as
    ``model(**values)`` makes, without the constructor's walk over every field and keyword: that walk cost
    more than storing the row for a million imported messages. Models with init signals, database defaults
    or descriptors of their own take the constructor."""
    blank = _blank(model)
    if blank is None:
        return model(**values)
    defaults, factories = blank
    obj = model.__new__(model)
    attributes = obj.__dict__
    attributes.update(defaults)
    for name, factory in factories:
        attributes[name] = factory()
    attributes.update(values)
    attributes["_state"] = ModelState()
    return obj


@cache
def _blank(model: type[models.Model]) -> tuple[dict[str, Any], list[tuple[str, Callable[[], Any]]]] | None:
    """Each field's default (callable ones called per instance); None where only the constructor will do."""
    meta = model._meta
    if pre_init.has_listeners(model) or post_init.has_listeners(model) or meta.private_fields:
        return None
    defaults: dict[str, Any] = {}
    factories: list[tuple[str, Callable[[], Any]]] = []
    for field in meta.concrete_fields:
        if field.db_default is not models.NOT_PROVIDED or not isinstance(
            getattr(model, field.attname, None), DeferredAttribute
        ):
            return None
        if field.has_default() and callable(field.default):
            factories.append((field.attname, field.default))
        else:
            defaults[field.attname] = field.get_default()
    return defaults, factories


# Fields whose stored value is the attribute itself (psycopg adapts it): preparing each through Django's
# ``get_db_prep_save`` cost more than the COPY for a million imported messages.
_AS_IS = (
    models.AutoField,
    models.BigAutoField,
    models.IntegerField,
    models.SmallIntegerField,
    models.BigIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.BooleanField,
    models.CharField,
    models.TextField,
    models.FloatField,
    models.ForeignKey,
    models.OneToOneField,
)


@cache
def _stamped_fields(model: type[models.Model]) -> list[models.Field]:
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.DateField) and (f.auto_now or f.auto_now_add)
    ]


@cache
def _copy_getters(model: type[models.Model]) -> list[Callable[[models.Model], Any]]:
    """One function per concrete field that gives the value COPY writes, as ``get_db_prep_save`` would."""
    return [_copy_getter(field) for field in model._meta.concrete_fields]


def _copy_getter(field: models.Field) -> Callable[[models.Model], Any]:
    if type(field) in _AS_IS or type(field) is models.DateTimeField:  # auto_now(_add): stamped by insert_rows
        return attrgetter(field.attname)
    if type(field) is models.JSONField:
        encoder, read = field.encoder, attrgetter(field.attname)

        def as_json(obj: models.Model) -> str | None:
            value = read(obj)
            return None if value is None and field.null else json.dumps(value, cls=encoder)

        return as_json
    return lambda obj: field.get_db_prep_save(field.pre_save(obj, True), connection)


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
