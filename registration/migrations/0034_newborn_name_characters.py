"""PostgreSQL: the newborns' names and real names by their characters, for a one-character name search.

A surname is one character, and one character has no bigram (migration 0014's indexes): a supervisor's
search for 「邵」 read every record of the hospital from the table to test LIKE '%邵%' (245-282 ms at two
million records). A GIN index of string_to_array(name, NULL), the name's characters, gives the rows that
hold the character (registration.selectors.search.names_containing), about 10 MB each at that size.
SQLite scans and gets neither.
"""

from django.db import migrations

CHARACTER_INDEXES = [
    ("registration_newborn_name_chars", "registration_newborn", "name"),
    ("registration_newborn_real_name_chars", "registration_newborn", "real_name"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, column in CHARACTER_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (string_to_array({column}::text, NULL))"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in CHARACTER_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0033_newborn_duplicate_of_index"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
