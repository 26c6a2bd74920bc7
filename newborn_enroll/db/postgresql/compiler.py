"""Django's PostgreSQL compilers, the bulk insert of a few rows written as VALUES.

Django 5.2 sends every bulk insert of two or more rows as INSERT … SELECT * FROM UNNEST(arrays), one
array per column: the plan of a large batch is then cheap. For a handful of rows (a birth's babies, their
issued temporary IDs and audit entries) the arrays cost more than they save: psycopg builds each one in
Python, and the registration POST spent about a millisecond on it (bench/registration.py). Batches of up
to UNNEST_MIN_ROWS - 1 rows are sent as a plain multi-row VALUES insert, larger ones as Django does.
"""

from django.db.backends.postgresql.compiler import (
    SQLAggregateCompiler,
    SQLCompiler,
    SQLDeleteCompiler,
    SQLUpdateCompiler,
)
from django.db.backends.postgresql.compiler import SQLInsertCompiler as PostgresInsertCompiler
from django.db.models.sql.compiler import SQLInsertCompiler as BaseInsertCompiler

__all__ = [
    "SQLAggregateCompiler",
    "SQLCompiler",
    "SQLDeleteCompiler",
    "SQLInsertCompiler",
    "SQLUpdateCompiler",
]

UNNEST_MIN_ROWS = 20


class SQLInsertCompiler(PostgresInsertCompiler):
    def assemble_as_sql(self, fields, value_rows):
        if len(value_rows) < UNNEST_MIN_ROWS:
            return BaseInsertCompiler.assemble_as_sql(self, fields, value_rows)
        return super().assemble_as_sql(fields, value_rows)
