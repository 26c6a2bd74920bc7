"""The audit log made tamper-evident (issue 23, item 8; registration/services/audit_chain.py).

Every entry gets a nonce and a MAC (empty for the entries already there) and the seal chain starts: the
entries already in the log are sealed in id order, as they are found now, with AUDIT_CHAIN_KEY (set it in
the environment of `migrate` as in the app's). From here on an entry deleted or changed is seen; what
happened to the log before this migration cannot be told. The rows are read once and the links written in
batches (100,000 entries in 30 s on a loaded 2-core machine: docs/privacy.md). No entry is changed: the
append-only triggers stay as they are.
"""

import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def seal_existing(apps, schema_editor):
    from registration.services.audit_chain import CONTENT_FIELDS, SEAL_BATCH, entry_mac, link_mac

    AuditEntry = apps.get_model("registration", "AuditEntry")
    AuditSeal = apps.get_model("registration", "AuditSeal")
    database = schema_editor.connection.alias
    seq, previous, batch = 0, "", []
    for entry in AuditEntry.objects.using(database).order_by("pk").iterator(chunk_size=SEAL_BATCH):
        mac = entry_mac("", {name: getattr(entry, name) for name in CONTENT_FIELDS})
        seq += 1
        previous = link_mac(previous, seq, entry.pk, mac)
        batch.append(AuditSeal(seq=seq, entry_id=entry.pk, entry_mac=mac, mac=previous))
        if len(batch) >= SEAL_BATCH:
            AuditSeal.objects.using(database).bulk_create(batch)
            batch = []
    AuditSeal.objects.using(database).bulk_create(batch)


def unseal(apps, schema_editor):
    apps.get_model("registration", "AuditSeal").objects.using(schema_editor.connection.alias).all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ('registration', '0022_newborn_paid_until'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditSeal',
            fields=[
                ('seq', models.BigIntegerField(primary_key=True, serialize=False, verbose_name='序号')),
                ('entry_id', models.BigIntegerField(unique=True, verbose_name='日志ID')),
                ('entry_mac', models.CharField(max_length=64, verbose_name='日志校验值')),
                ('mac', models.CharField(max_length=64, verbose_name='链校验值')),
                ('sealed_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='封存时间')),
            ],
            options={
                'verbose_name': '操作日志封存链',
                'verbose_name_plural': '操作日志封存链',
                'default_permissions': ('view',),
            },
        ),
        migrations.AddField(
            model_name='auditentry',
            name='mac',
            field=models.CharField(blank=True, db_default='', default='', editable=False, max_length=64, verbose_name='校验值'),
        ),
        migrations.AddField(
            model_name='auditentry',
            name='nonce',
            field=models.CharField(blank=True, db_default='', default='', editable=False, max_length=32, verbose_name='随机数'),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='at',
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False, verbose_name='时间'),
        ),
        migrations.AddConstraint(
            model_name='auditentry',
            constraint=models.UniqueConstraint(condition=models.Q(('nonce', ''), _negated=True), fields=('nonce',), name='registration_auditentry_nonce_unique'),
        ),
        migrations.RunPython(seal_existing, unseal),
    ]
