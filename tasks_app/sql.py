"""Plain SQL, shared by beat and the worker, for the statements every attempt runs (claim,
outcome, TaskResult) and every beat tick runs (claim occurrences, mark them sent, find the next
due moment).

Building an ORM query costs more CPU than running it, and these statements run for every
attempt: so they are written here by hand, and still go through the fields for every value
(``get_db_prep_save`` in, Django's converters out), so they mean the same on PostgreSQL and
SQLite. ``executemany`` sends a batch in one round trip on PostgreSQL (psycopg pipelines it).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)
# Batches of this many rows or more are written as one statement over arrays on PostgreSQL.
ONE_STATEMENT_FROM = 4


def quote(name: str | None) -> str:
    assert name, "a table or column name"
    return connection.ops.quote_name(name)


def field(model: type[Model], name: str) -> Field[Any, Any]:
    """A concrete field of ``model`` (never a reverse relation)."""
    found = model._meta.get_field(name)
    assert isinstance(found, Field), name
    return found


def placeholders(count: int) -> str:
    return ", ".join(["%s"] * count)


def unindexed_test(column: str) -> str:
    """SQL testing ``column = %s`` on rows a statement finds by primary key, in a form no index
    can answer, so that the primary key stays the only way to find them.

    The partial indexes on an execution's status (execution_unfinished, execution_running, …)
    keep an entry for every row version that passed through queued or running until VACUUM
    removes it: hundreds of thousands under load, and for ever where autovacuum is off. The
    planner cannot see dead entries, so given ``status = 'queued'`` beside ``id IN (…)`` it ANDs
    a scan of the whole partial index with the id lookup, and a claim's cost grows with every
    dead entry instead of staying one lookup by key (decision 0708)."""
    return f"COALESCE({column}, '') = %s"


def prep(field: Field[Any, Any], value: Any) -> Any:
    return field.get_db_prep_save(value, connection)


def select(sql: str, params: Sequence[Any], fields: Sequence[Field[Any, Any]]) -> list[list[Any]]:
    """Rows of ``sql`` whose columns are ``fields``, converted as the ORM converts them."""
    converters = []
    for field in fields:
        column = field.get_col(field.model._meta.db_table)
        converters.append((column, connection.ops.get_db_converters(column) + field.get_db_converters(connection)))
    with _cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    converted = []
    for row in rows:
        values = list(row)
        for index, (column, functions) in enumerate(converters):
            for function in functions:
                values[index] = function(values[index], column, connection)
        converted.append(values)
    return converted


def partial(model: type[M], values: dict[str, Any]) -> M:
    """An instance loaded with some fields; the others are deferred (loaded on first use)."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(DEFAULT_DB_ALIAS, names, [values[name] for name in names])


def execute(sql: str, params: Sequence[Any]) -> int:
    with _cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def update_each(instances: Sequence[Model], names: Sequence[str], *, where: str = "", where_params: Sequence[Any] = ()) -> int:
    """UPDATE each instance's ``names`` by primary key (plus ``where``, whose columns are the
    table's); returns rows changed."""
    if not instances:
        return 0
    if _one_statement(len(instances)):
        statement, params = update_statement(instances, names)
        return execute(statement + where, [*params, *where_params])
    model = type(instances[0])
    fields = [field(model, name) for name in names]
    values = [[prep(f, getattr(i, f.attname)) for f in fields] + [i.pk] for i in instances]
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(model._meta.pk.column)} = %s{where}"  # type: ignore[union-attr]
    return _execute_each(sql, [row + list(where_params) for row in values])


def _unnest(fields: Sequence[Field[Any, Any]]) -> str:
    """Rows passed as one array per column: the statement's text is the same whatever the row
    count, so psycopg prepares it once and PostgreSQL plans it once. The arrays travel in
    PostgreSQL's binary format (``%b``): psycopg builds a text array literal element by element
    in Python, quoting each, and that was most of what writing a batch cost the worker."""
    return "unnest(" + ", ".join(f"%b::{f.db_type(connection)}[]" for f in fields) + ")"


def _columns(values: list[list[Any]]) -> list[list[Any]]:
    return [list(column) for column in zip(*values, strict=True)]


def insert_each(instances: Sequence[Model], *, unique: str | None = None, replace: Iterable[str] | None = None) -> None:
    """INSERT each instance (auto_now fields filled as save() fills them). Without ``unique`` a
    conflict raises IntegrityError; with it, a conflict on that column overwrites the ``replace``
    fields, or keeps the existing row when ``replace`` is None."""
    if not instances:
        return
    meta = instances[0]._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    values = [[prep(f, f.pre_save(instance, add=True)) for f in fields] for instance in instances]
    columns = ", ".join(quote(f.column) for f in fields)
    conflict = "" if unique is None else f" ON CONFLICT ({quote(unique)}) " + _on_conflict(type(instances[0]), replace)
    if _one_statement(len(instances)):
        execute(f"INSERT INTO {quote(meta.db_table)} ({columns}) SELECT * FROM {_unnest(fields)}{conflict}", _columns(values))
        return
    _execute_each(f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders(len(fields))}){conflict}", values)


def update_statement(instances: Sequence[Model], names: Sequence[str]) -> tuple[str, list[Any]]:
    """PostgreSQL: one ``UPDATE … FROM unnest(…)`` of each instance's ``names``, by primary key,
    and its parameters, for a caller to extend (a further condition, RETURNING, a CTE): on
    PostgreSQL a statement per row, even prepared and pipelined, costs more than the row's own
    work."""
    model = type(instances[0])
    fields, pk = [field(model, name) for name in names], model._meta.pk
    values = [[prep(f, getattr(i, f.attname)) for f in fields] + [i.pk] for i in instances]
    table = quote(model._meta.db_table)
    columns = ", ".join(f"c{n}" for n in range(len(fields) + 1))
    assignments = ", ".join(f"{quote(f.column)} = v.c{n}" for n, f in enumerate(fields))
    sql = (
        f"UPDATE {table} SET {assignments} FROM {_unnest([*fields, pk])} AS v({columns})"  # type: ignore[list-item]
        f" WHERE {table}.{quote(pk.column)} = v.c{len(fields)}"  # type: ignore[union-attr]
    )
    return sql, _columns(values)


def insert_statement(instances: Sequence[Model]) -> tuple[str, list[Any]]:
    """PostgreSQL: one ``INSERT … SELECT * FROM unnest(…)`` of ``instances`` (auto_now fields
    filled as save() fills them) and its parameters, for a caller to extend (RETURNING, a CTE)."""
    meta = instances[0]._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    values = [[prep(f, f.pre_save(instance, add=True)) for f in fields] for instance in instances]
    columns = ", ".join(quote(f.column) for f in fields)
    return f"INSERT INTO {quote(meta.db_table)} ({columns}) SELECT * FROM {_unnest(fields)}", _columns(values)


def _one_statement(rows: int) -> bool:
    """Whether a batch of ``rows`` is written as one statement over arrays (PostgreSQL, a few
    rows or more) rather than one prepared statement per row."""
    return connection.vendor == "postgresql" and rows >= ONE_STATEMENT_FROM


def _on_conflict(model: type[Model], replace: Iterable[str] | None) -> str:
    if replace is None:
        return "DO NOTHING"
    return "DO UPDATE SET " + ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in (field(model, n).column for n in replace))


def _execute_each(sql: str, params: list[list[Any]]) -> int:
    with _cursor() as cursor:
        if len(params) == 1:  # no pipeline to set up for one statement
            cursor.execute(sql, params[0])
        else:
            cursor.executemany(sql, params)
        return int(cursor.rowcount)


@contextmanager
def _cursor() -> Iterator[Any]:
    """On PostgreSQL a server-side-binding cursor on Django's connection (same transaction):
    psycopg prepares a statement it has run a few times, so the server stops parsing and
    planning these statements on every attempt. Elsewhere Django's own cursor."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.ensure_connection()
    import psycopg

    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        yield cursor
