"""Django's flush, able to empty the append-only audit log on SQLite (registration/audit_triggers.py).

Flushing wipes the whole database (test runs do it between transactional tests); it is not a way to edit
the log. PostgreSQL needs nothing: flush uses TRUNCATE there, which fires no row triggers.
"""

from django.core.management.commands.flush import Command as FlushCommand
from django.db import DEFAULT_DB_ALIAS, connections


class Command(FlushCommand):
    def handle(self, **options):
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        connection.audit_log_writable = True
        try:
            return super().handle(**options)
        finally:
            connection.audit_log_writable = False
