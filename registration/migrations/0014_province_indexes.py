"""Indexes for a whole province (issue 15): every list stops at its LIMIT, every filter reads its index.

- births by (hospital, registered_at, id) and by (registered_at, id), both descending: the records list's
  order (newest registration first) for a hospital and for all hospitals, so that a page reads its 25 rows
  through the births' index and the newborns' (birth, birth_order) instead of sorting the whole join;
- the newborns' names (and real names) and the births' parents' names by their character bigrams
  (registration_bigrams() of migration 0005; PostgreSQL only): a name fragment of two or more characters;
- payments by (newborn, paid_on): a newborn's first payment is the first entry of its index range; the
  single-column index of Payment.newborn, which it starts with, is dropped as migration 0009 dropped others;
- the audit log by (action, at), (hospital, action, at) and (username, at): the audit page's filters, newest
  first, for an administrator and for a hospital's supervisor.
"""

import django.db.models.deletion
from django.db import migrations, models

BIGRAM_INDEXES = [
    ("registration_newborn_name_bigrams", "registration_newborn", "name"),
    ("registration_newborn_real_name_bigrams", "registration_newborn", "real_name"),
    ("registration_birth_mother_name_bigrams", "registration_birth", "mother_name"),
    ("registration_birth_father_name_bigrams", "registration_birth", "father_name"),
]


def bigrams_forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, column in BIGRAM_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (registration_bigrams({column}))"
        )


def bigrams_backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in BIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0013_division_full_name_bigrams"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="birth",
            index=models.Index(
                models.F("hospital"),
                models.F("registered_at").desc(),
                models.F("id").desc(),
                name="registration_birth_hosp_at",
            ),
        ),
        migrations.AddIndex(
            model_name="birth",
            index=models.Index(
                models.F("registered_at").desc(), models.F("id").desc(), name="registration_birth_at"
            ),
        ),
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(fields=["newborn", "paid_on"], name="registration_payment_first"),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "registration_payment_newborn_id_52e1e87e"',
                    reverse_sql='CREATE INDEX "registration_payment_newborn_id_52e1e87e" '
                    'ON "registration_payment" ("newborn_id")',
                )
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="payment",
                    name="newborn",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="payments",
                        to="registration.newborn",
                        verbose_name="新生儿",
                    ),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(fields=["action", "at"], name="registration_audit_action_at"),
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(fields=["hospital", "action", "at"], name="registration_audit_hosp_act_at"),
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(fields=["username", "at"], name="registration_audit_user_at"),
        ),
        migrations.RunPython(bigrams_forwards, bigrams_backwards, elidable=False),
    ]
