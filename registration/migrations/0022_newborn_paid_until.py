# Which days the card covers (docs/rules.md, Which days are covered): the end of the run of paid calendar years
# from the benefit start, counting the payments that arrived by the last day, kept on the newborn so that the
# card's notice and the follow-up list read it from the row; filled here from the payments.

from datetime import date
from itertools import groupby

from django.db import migrations, models

BATCH = 2000


def paid_until(benefit_start, last_day, payments):
    """rules.card_cover's paid_until from what a row already holds: its benefit start (a payment that
    arrived in time starts benefits at birth or on 1 January of a year it paid) and its payments."""
    years = {int(year) for paid_on, paid in payments if paid_on <= last_day for year in paid}
    if benefit_start is None or benefit_start.year not in years:
        return None  # no payment in time (a start after a waiting period), or nothing paid
    year = benefit_start.year
    while year + 1 in years:
        year += 1
    return date(year, 12, 31)


def paid_until_fill(apps, schema_editor):
    Newborn = apps.get_model("registration", "Newborn")
    Payment = apps.get_model("registration", "Payment")
    rows = (
        Payment.objects.filter(newborn__benefit_start__isnull=False)
        .order_by("newborn_id", "paid_on", "pk")
        .values_list("newborn_id", "newborn__benefit_start", "newborn__last_day", "paid_on", "years")
        .iterator(chunk_size=BATCH)
    )
    changed = []
    for newborn_id, group in groupby(rows, key=lambda row: row[0]):
        group = list(group)
        _, benefit_start, last_day = group[0][:3]
        until = paid_until(benefit_start, last_day, [(row[3], row[4]) for row in group])
        if until is not None:
            changed.append(Newborn(pk=newborn_id, paid_until=until))
        if len(changed) >= BATCH:
            Newborn.objects.bulk_update(changed, ["paid_until"])
            changed = []
    Newborn.objects.bulk_update(changed, ["paid_until"])


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0019_newborn_report_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="newborn",
            name="paid_until",
            field=models.DateField(blank=True, editable=False, null=True, verbose_name="已缴费年度保障至"),
        ),
        migrations.RunPython(paid_until_fill, migrations.RunPython.noop, elidable=False),
        migrations.AddIndex(
            model_name="newborn",
            index=models.Index(
                condition=models.Q(("paid_until__lt", models.F("last_day")), ("state", "paid")),
                fields=["last_day"],
                name="registration_newborn_next_year",
            ),
        ),
    ]
