# The audit log becomes append-only in the database itself (registration/audit_triggers.py says how).

from django.db import migrations


def forwards(apps, schema_editor):
    from registration.audit_triggers import triggers_install

    triggers_install(schema_editor.connection)


def backwards(apps, schema_editor):
    from registration.audit_triggers import triggers_uninstall

    triggers_uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0003_payment_identity_auto_void"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
