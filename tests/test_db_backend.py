"""The PostgreSQL backend of newborn_enroll/db/postgresql: Django's, small bulk inserts as VALUES."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from newborn_enroll.db.postgresql.compiler import UNNEST_MIN_ROWS
from registration.models import AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _insert_sql(count: int) -> str:
    entries = [
        AuditEntry(at=timezone.now(), action=AuditEntry.Action.REGISTER, reason=str(n)) for n in range(count)
    ]
    with CaptureQueriesContext(connection) as captured:
        AuditEntry.objects.bulk_create(entries)
    [query] = captured.captured_queries
    assert all(entry.pk for entry in entries)
    return query["sql"]


def test_the_settings_select_the_backend():
    assert connection.settings_dict["ENGINE"] == "newborn_enroll.db.postgresql"
    assert connection.vendor == "postgresql"


def test_a_few_rows_are_inserted_as_values():
    sql = _insert_sql(UNNEST_MIN_ROWS - 1)

    assert " VALUES (" in sql
    assert "UNNEST" not in sql


def test_many_rows_are_inserted_through_unnest_as_django_does():
    sql = _insert_sql(UNNEST_MIN_ROWS)

    assert "UNNEST" in sql
    assert AuditEntry.objects.count() == UNNEST_MIN_ROWS
