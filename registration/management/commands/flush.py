"""Django's flush, able to empty the append-only audit log (registration/audit_triggers.py).

Flushing wipes the whole database (test runs do it between transactional tests); it is not a way to edit
the log. On SQLite it unlocks the DELETE trigger for its own connection; on PostgreSQL, where flush uses
TRUNCATE, it disables the TRUNCATE trigger inside its own transaction (the table's owner only).
"""

from django.core.management.commands.flush import Command as FlushCommand
from django.db import DEFAULT_DB_ALIAS, connections

from registration.audit_triggers import truncate_allowed


class Command(FlushCommand):
    def handle(self, **options):
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        connection.audit_log_writable = True
        try:
            with truncate_allowed(connection):
                return super().handle(**options)
        finally:
            connection.audit_log_writable = False
