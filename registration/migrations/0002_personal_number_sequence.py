from django.db import migrations

SEQUENCE = "registration_personal_number_seq"


def create_sequence(apps, schema_editor):
    # PostgreSQL: a real sequence, never rolled back, so a number is never issued twice and
    # registrations of different families do not queue behind one counter row.
    # SQLite has no sequences; there the NumberSequence row serves, its writers already serialised.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE} START 1")


def drop_sequence(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


class Migration(migrations.Migration):
    dependencies = [("registration", "0001_initial")]

    operations = [migrations.RunPython(create_sequence, drop_sequence)]
