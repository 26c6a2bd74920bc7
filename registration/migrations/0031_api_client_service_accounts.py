# An API client's service account is no 经办人员, and revoking the client withdraws its access: the
# operators of clients revoked before lose their module access (and their account stays disabled).
# Listing them apart needs no marker: the link ApiClient.user tells a service account.

from django.conf import settings
from django.db import migrations

REVOKED_REASON = "接口客户端已撤销"


def withdraw_revoked(apps, schema_editor):
    ApiClient = apps.get_model("registration", "ApiClient")
    Operator = apps.get_model("registration", "Operator")
    User = apps.get_model(settings.AUTH_USER_MODEL)
    for client in ApiClient.objects.filter(revoked_at__isnull=False).only("pk", "user_id", "revoked_at"):
        Operator.objects.filter(user_id=client.user_id).exclude(access="withdrawn").update(
            access="withdrawn", access_changed_at=client.revoked_at, access_reason=REVOKED_REASON
        )
        User.objects.filter(pk=client.user_id, is_active=True).update(is_active=False)


class Migration(migrations.Migration):

    dependencies = [
        ("registration", "0028_lookup_budgets"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(withdraw_revoked, migrations.RunPython.noop),
    ]
