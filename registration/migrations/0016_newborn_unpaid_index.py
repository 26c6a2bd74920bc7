# The unpaid newborns by last day, a partial index (issue 15): it replaces (state, last_day), created first.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0015_material_birth_kind_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="newborn",
            index=models.Index(
                condition=models.Q(("state", "registered")),
                fields=["last_day"],
                name="registration_newborn_unpaid",
            ),
        ),
        migrations.RemoveIndex(
            model_name="newborn",
            name="registration_newborn_state_day",
        ),
    ]
