# The reports' two indexes (issue 15): a period's newborns grouped from an index alone, the province's
# and a hospital's.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('registration', '0018_newborn_hospital'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='newborn',
            index=models.Index(fields=['registered_on', 'hospital', 'state', 'first_paid_on'], name='registration_newborn_report'),
        ),
        migrations.AddIndex(
            model_name='newborn',
            index=models.Index(fields=['hospital', 'registered_on', 'state', 'first_paid_on'], include=('birth',), name='registration_newborn_hosp_rep'),
        ),
    ]
