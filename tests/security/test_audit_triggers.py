"""The audit log is append-only in the database: UPDATE and DELETE are refused by triggers, and TRUNCATE on
PostgreSQL (the only one of the two that has it).

Runs on SQLite in the normal pass and on PostgreSQL with DATABASE_URL (the same tests, both databases).
"""

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from registration.audit_triggers import triggers_present, triggers_uninstall, truncate_trigger_present
from registration.models import AuditEntry
from registration.services.audit import audit_record
from registration.signals import audit_triggers_ensure
from tests import factories


@pytest.fixture
def entry(db):
    return audit_record(user=None, action=AuditEntry.Action.LOGIN_FAILED, username="someone", ip="10.0.0.1")


def test_it_installs_the_triggers_with_the_migrations(db):
    assert triggers_present(connection)


def test_it_refuses_to_update_an_entry_through_the_orm(entry):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(reason="edited")

    entry.refresh_from_db()
    assert entry.reason == ""


def test_it_refuses_to_save_a_changed_entry(entry):
    entry.username = "someone-else"

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        entry.save()


def test_it_refuses_to_delete_an_entry(entry):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()

    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_it_refuses_raw_sql_too(entry):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM registration_auditentry")

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE registration_auditentry SET ip = NULL")

    assert AuditEntry.objects.get(pk=entry.pk).ip == "10.0.0.1"


@pytest.mark.postgres
def test_it_refuses_to_truncate_the_log(entry):
    assert truncate_trigger_present(connection)
    with connection.cursor() as cursor:
        # The entry's foreign keys are checked at commit; TRUNCATE would refuse for that reason first.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("TRUNCATE registration_auditentry")

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("TRUNCATE registration_auditentry, registration_newborn CASCADE")

    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_it_still_appends(entry):
    audit_record(user=None, action=AuditEntry.Action.LOGIN_FAILED, username="another")

    assert AuditEntry.objects.count() == 2


def test_it_refuses_deleting_a_user_with_entries(db):
    user = factories.user_make("auditor")
    audit_record(user=user, action=AuditEntry.Action.LOGIN)

    with pytest.raises(DatabaseError), transaction.atomic():
        user.delete()


@pytest.mark.django_db(transaction=True)
def test_it_lets_flush_wipe_the_whole_database():
    audit_record(user=None, action=AuditEntry.Action.LOGIN_FAILED, username="someone")

    call_command("flush", interactive=False, verbosity=0)

    assert not AuditEntry.objects.exists()
    assert triggers_present(connection)
    # On PostgreSQL flush truncated the log with its trigger disabled for that transaction only.
    assert truncate_trigger_present(connection) == (connection.vendor == "postgresql")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        audit_record(user=None, action=AuditEntry.Action.LOGIN_FAILED, username="again")
        AuditEntry.objects.all().delete()


def test_it_recreates_missing_triggers_after_migrate(db, django_db_blocker):
    from django.apps import apps

    triggers_uninstall(connection)
    assert not triggers_present(connection)

    audit_triggers_ensure(sender=apps.get_app_config("registration"), using="default")

    assert triggers_present(connection)
