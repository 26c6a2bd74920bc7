# The audit log refuses TRUNCATE too, on PostgreSQL (registration/audit_triggers.py says how).

from django.db import migrations


def forwards(apps, schema_editor):
    from registration.audit_triggers import truncate_trigger_install

    truncate_trigger_install(schema_editor.connection)


def backwards(apps, schema_editor):
    from registration.audit_triggers import truncate_trigger_uninstall

    truncate_trigger_uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0011_apiclient"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
