"""The audit log is append-only in the database itself: triggers refuse every UPDATE and DELETE of its rows,
and on PostgreSQL a statement trigger refuses TRUNCATE of the table too.

The row triggers are installed by migration 0004 and checked again after every `migrate`
(registration/signals.py): SQLite rebuilds a table, dropping its triggers, when a later migration alters a
column, so the triggers are re-created whenever they are missing. The TRUNCATE trigger is migration
0012's (PostgreSQL only: SQLite has no TRUNCATE, and its `DELETE FROM` without WHERE fires the row trigger).

Wiping the whole database stays possible, as restores and test runs need: `manage.py flush`
(registration/management/commands/flush.py) disables the TRUNCATE trigger inside its own transaction on
PostgreSQL, which only the table's owner may do, and on SQLite unlocks its own
connection through the audit_log_writable() function that registration/signals.py registers on each
connection. A connection without that function (the sqlite3 shell) cannot delete audit rows at all.
`pg_restore --clean` drops the table, which no trigger can refuse: the last line of defence is a
database user that does not own the tables (docs/operations.md, Database roles).
"""

MESSAGE = "审计日志只能追加，不能修改或删除 (registration_auditentry is append-only)"
TABLE = "registration_auditentry"

POSTGRESQL_INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION registration_auditentry_refuse() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation';
    END;
    $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS registration_auditentry_append_only ON registration_auditentry",
    """
    CREATE TRIGGER registration_auditentry_append_only
    BEFORE UPDATE OR DELETE ON registration_auditentry
    FOR EACH ROW EXECUTE FUNCTION registration_auditentry_refuse()
    """,
]
POSTGRESQL_UNINSTALL = [
    "DROP TRIGGER IF EXISTS registration_auditentry_append_only ON registration_auditentry",
    "DROP FUNCTION IF EXISTS registration_auditentry_refuse()",
]
POSTGRESQL_TRIGGERS = {"registration_auditentry_append_only"}

# The statement trigger against TRUNCATE (migration 0012), with its own function so that either set of
# triggers can be removed without the other.
POSTGRESQL_TRUNCATE_TRIGGER = "registration_auditentry_no_truncate"
POSTGRESQL_TRUNCATE_INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION registration_auditentry_refuse_truncate() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation';
    END;
    $$ LANGUAGE plpgsql
    """,
    f"DROP TRIGGER IF EXISTS {POSTGRESQL_TRUNCATE_TRIGGER} ON registration_auditentry",
    f"""
    CREATE TRIGGER {POSTGRESQL_TRUNCATE_TRIGGER}
    BEFORE TRUNCATE ON registration_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION registration_auditentry_refuse_truncate()
    """,
]
POSTGRESQL_TRUNCATE_UNINSTALL = [
    f"DROP TRIGGER IF EXISTS {POSTGRESQL_TRUNCATE_TRIGGER} ON registration_auditentry",
    "DROP FUNCTION IF EXISTS registration_auditentry_refuse_truncate()",
]

SQLITE_INSTALL = [
    f"""
    CREATE TRIGGER IF NOT EXISTS registration_auditentry_no_update
    BEFORE UPDATE ON registration_auditentry
    BEGIN
        SELECT RAISE(ABORT, '{MESSAGE}');
    END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS registration_auditentry_no_delete
    BEFORE DELETE ON registration_auditentry
    WHEN NOT audit_log_writable()
    BEGIN
        SELECT RAISE(ABORT, '{MESSAGE}');
    END
    """,
]
SQLITE_UNINSTALL = [
    "DROP TRIGGER IF EXISTS registration_auditentry_no_update",
    "DROP TRIGGER IF EXISTS registration_auditentry_no_delete",
]
SQLITE_TRIGGERS = {"registration_auditentry_no_update", "registration_auditentry_no_delete"}


def _statements(vendor: str, install: bool) -> list[str]:
    if vendor == "postgresql":
        return POSTGRESQL_INSTALL if install else POSTGRESQL_UNINSTALL
    if vendor == "sqlite":
        return SQLITE_INSTALL if install else SQLITE_UNINSTALL
    raise RuntimeError(f"no append-only audit trigger for the {vendor} database: add one here")


def triggers_install(connection) -> None:
    """Create the triggers (idempotent)."""
    with connection.cursor() as cursor:
        for statement in _statements(connection.vendor, install=True):
            cursor.execute(statement)


def triggers_uninstall(connection) -> None:
    with connection.cursor() as cursor:
        for statement in _statements(connection.vendor, install=False):
            cursor.execute(statement)


def triggers_present(connection) -> bool:
    """Whether every append-only trigger exists on the audit table."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [TABLE]
            )
            return {row[0] for row in cursor.fetchall()} >= POSTGRESQL_TRIGGERS
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE])
        return {row[0] for row in cursor.fetchall()} >= SQLITE_TRIGGERS


def truncate_trigger_install(connection) -> None:
    """Refuse TRUNCATE of the audit table (PostgreSQL; nothing to do elsewhere). Idempotent."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for statement in POSTGRESQL_TRUNCATE_INSTALL:
            cursor.execute(statement)


def truncate_trigger_uninstall(connection) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for statement in POSTGRESQL_TRUNCATE_UNINSTALL:
            cursor.execute(statement)


def truncate_trigger_present(connection) -> bool:
    """Whether the TRUNCATE trigger exists and is enabled (always False off PostgreSQL)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgenabled <> 'D' FROM pg_trigger WHERE tgrelid = to_regclass(%s) AND tgname = %s",
            [TABLE, POSTGRESQL_TRUNCATE_TRIGGER],
        )
        row = cursor.fetchone()
    return bool(row and row[0])
