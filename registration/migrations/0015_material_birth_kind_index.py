# The scans indexed by (birth, kind): the lists' 材料不全 check probes it per listed record (issue 15). It
# also serves the lookups by birth alone, so the foreign key's own index goes (after the new one exists).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0014_province_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="material",
            index=models.Index(fields=["birth", "kind"], name="registration_material_kinds"),
        ),
        migrations.AlterField(
            model_name="material",
            name="birth",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="materials",
                to="registration.birth",
                verbose_name="登记",
            ),
        ),
    ]
