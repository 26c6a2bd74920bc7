"""Drop the single-column indexes of five foreign keys that a composite index already starts with.

Birth.hospital (hospital, registered_on), Newborn.birth (birth, birth_order), IssuedTemporaryId.parent
(parent, suffix), AuditEntry.hospital (hospital, at) and AuditEntry.newborn (newborn, at): every
registration wrote each index for nothing. Only the indexes are dropped: Django's AlterField would also
drop and re-add the foreign keys on PostgreSQL (re-checking every row) and rebuild the tables on SQLite.
"""

import django.db.models.deletion
from django.db import migrations, models

# (table, column, index name): the names Django gave these indexes (the same on both databases).
INDEXES = [
    ("registration_auditentry", "hospital_id", "registration_auditentry_hospital_id_16d4a26c"),
    ("registration_auditentry", "newborn_id", "registration_auditentry_newborn_id_8c814e76"),
    ("registration_birth", "hospital_id", "registration_birth_hospital_id_faea446e"),
    ("registration_issuedtemporaryid", "parent_id", "registration_issuedtemporaryid_parent_id_71a02694"),
    ("registration_newborn", "birth_id", "registration_newborn_birth_id_8fd7d693"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0008_birth_parent_id_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX "{name}" ON "{table}" ("{column}")',
                )
                for table, column, name in INDEXES
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="auditentry",
                    name="hospital",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="registration.hospital",
                        verbose_name="医疗机构",
                    ),
                ),
                migrations.AlterField(
                    model_name="auditentry",
                    name="newborn",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="audit_entries",
                        to="registration.newborn",
                        verbose_name="新生儿",
                    ),
                ),
                migrations.AlterField(
                    model_name="birth",
                    name="hospital",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="births",
                        to="registration.hospital",
                        verbose_name="登记医院",
                    ),
                ),
                migrations.AlterField(
                    model_name="issuedtemporaryid",
                    name="parent",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="issued_ids",
                        to="registration.parent",
                        verbose_name="父母",
                    ),
                ),
                migrations.AlterField(
                    model_name="newborn",
                    name="birth",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="newborns",
                        to="registration.birth",
                        verbose_name="登记",
                    ),
                ),
            ],
        ),
    ]
