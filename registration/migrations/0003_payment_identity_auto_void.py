from django.db import migrations, models


def mark_automatic_voids(apps, schema_editor):
    # Records the daily job voided before this field existed: its audit entries say "automatic".
    Newborn = apps.get_model("registration", "Newborn")
    AuditEntry = apps.get_model("registration", "AuditEntry")
    for newborn in Newborn.objects.filter(state="void").only("pk"):
        last = AuditEntry.objects.filter(newborn_id=newborn.pk, action="void").order_by("-at", "-pk").first()
        if last is not None and isinstance(last.detail, dict) and last.detail.get("automatic") is True:
            Newborn.objects.filter(pk=newborn.pk).update(voided_automatically=True)


class Migration(migrations.Migration):
    dependencies = [("registration", "0002_personal_number_sequence")]

    operations = [
        migrations.AddField(
            model_name="newborn",
            name="voided_automatically",
            field=models.BooleanField(default=False, verbose_name="到期未缴费自动作废"),
        ),
        migrations.AddConstraint(
            model_name="newborn",
            constraint=models.CheckConstraint(
                condition=models.Q(("state", "void"), ("voided_automatically", False), _connector="OR"),
                name="registration_newborn_auto_void_is_void",
                violation_error_message="只有已作废的记录才能标记为到期自动作废。",
            ),
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("receipt_number", "")),
                fields=("newborn", "paid_on", "years"),
                name="registration_payment_unreceipted_unique",
                violation_error_message="该新生儿同一到账日期、同一缴费年度的缴费已经录入过。",
            ),
        ),
        migrations.RunPython(mark_automatic_voids, migrations.RunPython.noop),
    ]
