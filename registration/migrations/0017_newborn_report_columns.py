# The reports' copies on the newborns (issue 15): the birth's registration day and the first payment's day,
# filled from the births and the payments, then registered_on made required.

from django.db import migrations, models
from django.db.models import Min, OuterRef, Subquery


def columns_fill(apps, schema_editor):
    Birth = apps.get_model("registration", "Birth")
    Newborn = apps.get_model("registration", "Newborn")
    Payment = apps.get_model("registration", "Payment")
    Newborn.objects.update(
        registered_on=Subquery(Birth.objects.filter(pk=OuterRef("birth_id")).values("registered_on")[:1]),
        first_paid_on=Subquery(
            Payment.objects.filter(newborn_id=OuterRef("pk"))
            .order_by()
            .values("newborn_id")
            .annotate(first=Min("paid_on"))
            .values("first")[:1]
        ),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0016_newborn_unpaid_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="newborn",
            name="registered_on",
            field=models.DateField(editable=False, null=True, verbose_name="参保日期"),
        ),
        migrations.AddField(
            model_name="newborn",
            name="first_paid_on",
            field=models.DateField(blank=True, editable=False, null=True, verbose_name="首次缴费到账日期"),
        ),
        migrations.RunPython(columns_fill, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="newborn",
            name="registered_on",
            field=models.DateField(editable=False, verbose_name="参保日期"),
        ),
    ]
