"""One transaction's new rows, written in as few round trips as the database allows.

The registration POST writes a birth, its babies, their issued numbers, scans and audit entries, each
row referring to the ones before it. Written one model at a time, each INSERT waits for the ids of the
last one: six round trips, and the Django and psycopg work of each (bench/registration.py). On PostgreSQL
RowBatch draws every row's id from its table's sequence first, together with the other sequence values
the transaction needs (the personal numbers), in one statement; the rows then refer to each other before
any is written, and write() sends all their INSERTs in one round trip (psycopg's client-side binding,
Django's default, runs several statements in one query). On SQLite each model's rows are inserted by
bulk_create as they are added, and a counter row stands in for the sequences.
"""

from collections.abc import Mapping, Sequence

from django.db import connection
from django.db.models import F, Model
from django.db.models.fields import AutoFieldMixin
from django.db.models.sql import InsertQuery

from registration.models import NumberSequence


class RowBatch:
    """The new rows of one transaction, each model's added after the rows they refer to.

    `counts`: how many rows of each model will be added; `sequences`: how many values of each named
    sequence the transaction draws (sequence_values): PostgreSQL's sequence registration_<name>_seq, or
    on SQLite the NumberSequence row <name>. Rows added get their primary key at once.
    """

    def __init__(self, counts: Mapping[type[Model], int], *, sequences: Mapping[str, int] | None = None):
        sequences = sequences or {}
        self._batched = connection.vendor == "postgresql"
        self._left = dict(counts)
        self._queued: list[list[Model]] = []
        self._ids: dict[type[Model], list[int]] = {}
        self._values: dict[str, list[int]] = {}
        if self._batched:
            for model in counts:
                if not isinstance(model._meta.pk, AutoFieldMixin):
                    raise ValueError(f"{model.__name__}'s primary key is not drawn from a sequence")
            self._draw(
                {model: count for model, count in counts.items() if count},
                {name: count for name, count in sequences.items() if count},
            )
        else:
            self._values = {name: self._counter_values(name, count) for name, count in sequences.items()}

    def sequence_values(self, name: str) -> list[int]:
        """The values drawn from the sequence `name` for this transaction, in increasing order."""
        return self._values[name]

    def add(self, rows: Sequence[Model]) -> None:
        """Rows of one model: inserted now (SQLite) or queued for write() with their ids (PostgreSQL)."""
        rows = list(rows)
        if not rows:
            return
        model = type(rows[0])
        if len(rows) > self._left.get(model, 0):
            raise ValueError(f"more {model.__name__} rows added than counted")
        self._left[model] -= len(rows)
        if not self._batched:
            model.objects.bulk_create(rows)
            return
        ids = self._ids[model]
        for row in rows:
            row.pk = ids.pop(0)
            # What bulk_create checks first: a related row must have its id (added before this one), and
            # a foreign key assigned before its row got its id takes it now.
            row._prepare_related_fields_for_save(operation_name="RowBatch.add")
        self._queued.append(rows)

    def write(self) -> None:
        """Every queued INSERT in one round trip (PostgreSQL); nothing left to do on SQLite."""
        if not self._queued:
            return
        statements = [self._insert_sql(rows) for rows in self._queued]
        with connection.cursor() as cursor:
            if connection.settings_dict.get("OPTIONS", {}).get("server_side_binding"):
                # Server-side binding prepares each query, and a prepared query is one statement.
                for sql, params in statements:
                    cursor.execute(sql, params)
            else:
                sql = "; ".join(sql for sql, _ in statements)
                cursor.execute(sql, [param for _, params in statements for param in params])
        for rows in self._queued:
            for row in rows:
                row._state.adding, row._state.db = False, connection.alias
        self._queued = []

    def _draw(self, counts: Mapping[type[Model], int], sequences: Mapping[str, int]) -> None:
        # Each table's own sequence (an identity or serial column), found by pg_get_serial_sequence.
        columns, params = [], []
        for model, count in counts.items():
            columns.append(
                "ARRAY(SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s))"
            )
            params += [model._meta.db_table, model._meta.pk.column, count]
        for name, count in sequences.items():
            columns.append("ARRAY(SELECT nextval(%s) FROM generate_series(1, %s))")
            params += [f"registration_{name}_seq", count]
        if not columns:
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(columns), params)
            drawn = cursor.fetchone()
        self._ids = dict(zip(counts, (list(values) for values in drawn[: len(counts)]), strict=True))
        self._values = dict(zip(sequences, (list(values) for values in drawn[len(counts) :]), strict=True))

    @staticmethod
    def _insert_sql(rows: list[Model]) -> tuple[str, tuple]:
        # The statement bulk_create would send, with the ids given and nothing returned.
        model = type(rows[0])
        query = InsertQuery(model)
        query.insert_values([field for field in model._meta.concrete_fields if not field.generated], rows)
        [(sql, params)] = query.get_compiler(connection=connection).as_sql()
        return sql, params

    @staticmethod
    def _counter_values(name: str, count: int) -> list[int]:
        # Without sequences (SQLite) a counter row serves: IMMEDIATE transactions serialise its writers.
        NumberSequence.objects.get_or_create(name=name)
        NumberSequence.objects.filter(name=name).update(last_value=F("last_value") + count)
        last = NumberSequence.objects.get(name=name).last_value
        return list(range(last - count + 1, last + 1))
