"""The app runs as a PostgreSQL role that does not own the tables (docs/operations.md, Database roles).

The page's own SQL block is run against the test database, with the test's role and database names;
the test then switches to that role (SET ROLE, which checks every privilege as that role's) and uses the
app: a registration goes through, while TRUNCATE, ALTER, DROP, CREATE and edits of the audit log are
refused. Everything, the role included, is rolled back with the test's transaction.
"""

import re
import secrets
from pathlib import Path

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from registration.models import AuditEntry, Newborn
from tests.registration.views.test_register import form_data

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

OPERATIONS = Path(settings.BASE_DIR) / "docs" / "operations.md"
DONE = re.compile(r"/register/done/(\d+)/$")


def _documented_grants(role: str, owner: str, database: str) -> list[str]:
    blocks = re.findall(r"```sql\n(.*?)```", OPERATIONS.read_text(encoding="utf-8"), re.S)
    [block] = [block for block in blocks if "CREATE ROLE newborn_app" in block]
    block = re.sub(r"\bnewborn_app\b", role, block)
    block = re.sub(r"\bnewborn_owner\b", owner, block)
    block = re.sub(r"\bDATABASE newborn\b", f'DATABASE "{database}"', block)
    block = block.replace("'<password>'", f"'{secrets.token_hex(16)}'")
    return [statement.strip() for statement in block.split(";") if statement.strip()]


INSUFFICIENT_PRIVILEGE = "42501"  # "permission denied for …" and "must be owner of …" alike


def _refused(statement: str) -> bool:
    """Whether PostgreSQL refuses the statement for want of a privilege (not for any other reason)."""
    with pytest.raises(DatabaseError) as refusal, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    return refusal.value.__cause__.sqlstate == INSUFFICIENT_PRIVILEGE


def test_the_app_registers_as_a_role_without_ownership_and_cannot_empty_or_alter_tables(client, clerk):
    role = f"newborn_app_test_{secrets.token_hex(4)}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_database()")
        owner, database = cursor.fetchone()
        for statement in _documented_grants(role, owner, database):
            cursor.execute(statement)
        cursor.execute(f"SET ROLE {role}")
    try:
        client.force_login(clerk)  # the session's row: written as the app's role
        response = client.post("/register/", form_data())
        assert response.status_code == 302, response.content.decode()[:2000]
        birth_pk = int(DONE.search(response["Location"]).group(1))
        assert client.get(response["Location"]).status_code == 200
        assert Newborn.objects.filter(birth_id=birth_pk).count() == 1
        assert AuditEntry.objects.filter(action=AuditEntry.Action.REGISTER).exists()
        assert client.get("/newborns/").status_code == 200

        assert _refused("TRUNCATE registration_auditentry")
        assert _refused("TRUNCATE registration_newborn CASCADE")
        assert _refused("UPDATE registration_auditentry SET reason = 'edited'")
        assert _refused("DELETE FROM registration_auditentry")
        assert _refused(
            "ALTER TABLE registration_auditentry DISABLE TRIGGER registration_auditentry_append_only"
        )
        assert _refused("ALTER TABLE registration_newborn ADD COLUMN note text")
        assert _refused("DROP TABLE registration_auditentry")
        assert _refused("CREATE TABLE registration_extra (id int)")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == owner
