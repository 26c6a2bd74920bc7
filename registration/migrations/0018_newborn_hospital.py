"""A newborn's hospital on the newborn itself (issue 15): one hospital's records through its own indexes.

The hospital was only on the birth, so a hospital's name search found the whole province's matches through
the names' bigram index before the hospital was applied, and its unpaid or void records were found among
the province's and joined to their births to keep its own. Now:

- `Newborn.hospital`, added empty, filled from the births (one UPDATE … FROM on PostgreSQL, a correlated
  subquery on SQLite), then made NOT NULL with its foreign key (added after the fill, so that the fill
  queues no deferred checks and the key is checked once, by one join);
- on PostgreSQL, a composite foreign key (birth_id, hospital_id) -> registration_birth (id, hospital_id),
  over a new unique (id, hospital_id) of the births: a newborn whose hospital is not its birth's is
  refused, and so is a change of a birth's hospital that its newborns would not follow;
- the index (hospital, state, last_day) including the birth: a hospital's records by state, its unpaid by
  last day, all of them; the lists' bounded counts read it alone, joined to the births' unique (id,
  hospital_id) for the hospital restated on the birth (registration.access.newborns_in). It also indexes
  the foreign key. A hospital's name search intersects the bigram indexes' matches (migration 0014) with
  the hospital's entries of this index, so that only the hospital's matching rows are read.
"""

import django.db.models.deletion
from django.db import migrations, models

COMPOSITE_KEY_FORWARDS = [
    "ALTER TABLE registration_birth ADD CONSTRAINT registration_birth_id_hospital_unique "
    "UNIQUE (id, hospital_id)",
    "ALTER TABLE registration_newborn ADD CONSTRAINT registration_newborn_birth_hospital_fk "
    "FOREIGN KEY (birth_id, hospital_id) REFERENCES registration_birth (id, hospital_id)",
]
COMPOSITE_KEY_BACKWARDS = [
    "ALTER TABLE registration_newborn DROP CONSTRAINT IF EXISTS registration_newborn_birth_hospital_fk",
    "ALTER TABLE registration_birth DROP CONSTRAINT IF EXISTS registration_birth_id_hospital_unique",
]


def hospital_fill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "UPDATE registration_newborn n SET hospital_id = b.hospital_id FROM registration_birth b "
            "WHERE b.id = n.birth_id"
        )
    else:
        schema_editor.execute(
            "UPDATE registration_newborn SET hospital_id = (SELECT b.hospital_id FROM registration_birth b "
            "WHERE b.id = registration_newborn.birth_id)"
        )


def composite_key_forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in COMPOSITE_KEY_FORWARDS:
            schema_editor.execute(statement)


def composite_key_backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in COMPOSITE_KEY_BACKWARDS:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0017_newborn_report_columns"),
    ]

    operations = [
        migrations.AddField(
            model_name="newborn",
            name="hospital",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="newborns",
                to="registration.hospital",
                verbose_name="登记医院",
            ),
        ),
        migrations.RunPython(hospital_fill, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="newborn",
            name="hospital",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="newborns",
                to="registration.hospital",
                verbose_name="登记医院",
            ),
        ),
        migrations.RunPython(composite_key_forwards, composite_key_backwards, elidable=False),
        migrations.AddIndex(
            model_name="newborn",
            index=models.Index(
                fields=["hospital", "state", "last_day"],
                include=["birth"],
                name="registration_newborn_hosp_st",
            ),
        ),
    ]
