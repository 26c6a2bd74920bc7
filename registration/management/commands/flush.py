"""Django's flush, able to empty the append-only audit log (registration/audit_triggers.py).

Flushing wipes the whole database (test runs do it between transactional tests); it is not a way to edit
the log. On SQLite it unlocks the DELETE trigger for its own connection; on PostgreSQL, where flush uses
TRUNCATE, it disables the TRUNCATE trigger inside its own transaction (the table's owner only).
"""

from contextlib import contextmanager

from django.core.management.commands.flush import Command as FlushCommand
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from registration.audit_triggers import POSTGRESQL_TRUNCATE_TRIGGER, TABLE, truncate_trigger_present


class Command(FlushCommand):
    def handle(self, **options):
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        connection.audit_log_writable = True
        try:
            with truncate_allowed(connection):
                return super().handle(**options)
        finally:
            connection.audit_log_writable = False


@contextmanager
def truncate_allowed(connection):
    """Let the block TRUNCATE the audit table: for `manage.py flush`, which wipes the whole database.

    The trigger is disabled inside one transaction around the block and enabled again before it commits,
    so no other session ever sees it disabled, and a failure leaves it as it was. Disabling a trigger
    needs the table's owner: a database user with DML rights only can neither do this nor TRUNCATE.
    """
    if not truncate_trigger_present(connection):
        yield
        return
    statement = f"ALTER TABLE {TABLE} {{}} TRIGGER {POSTGRESQL_TRUNCATE_TRIGGER}"
    with transaction.atomic(using=connection.alias):
        with connection.cursor() as cursor:
            cursor.execute(statement.format("DISABLE"))
        yield
        with connection.cursor() as cursor:
            cursor.execute(statement.format("ENABLE"))
