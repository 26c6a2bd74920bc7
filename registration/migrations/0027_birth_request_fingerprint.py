# The API's Idempotency-Key is kept with a fingerprint of the request that used it (issue 24, item 1): the
# same key with another body is refused (422) instead of being answered with the first registration.
# Births saved before have none and are compared by their ID parent, as before.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("registration", "0024_admin_checks"),
    ]

    operations = [
        migrations.AddField(
            model_name="birth",
            name="request_fingerprint",
            field=models.CharField(blank=True, editable=False, max_length=64, verbose_name="提交内容指纹"),
        ),
    ]
