# Passwords someone else chose (a clerk's one-time password, an administrator's reset) must be replaced at
# the next login and expire unused; a receipt number (缴费凭证号) belongs to one baby's payment, not one per
# baby; the audit log records password changes, backups and restores.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import Count


def refuse_shared_receipts(apps, schema_editor):
    # The new constraint would fail with a bare IntegrityError: say which receipts to correct first.
    Payment = apps.get_model("registration", "Payment")
    shared = (
        Payment.objects.exclude(receipt_number="")
        .values("receipt_number")
        .annotate(newborns=Count("newborn", distinct=True))
        .filter(newborns__gt=1)
        .values_list("receipt_number", flat=True)
    )
    receipts = sorted(shared)
    if receipts:
        raise RuntimeError(
            "These receipt numbers are recorded for more than one newborn; correct them in the admin "
            f"(Payments) before migrating: {', '.join(receipts[:50])}"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("registration", "0005_division_name_bigrams"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="TemporaryPassword",
            fields=[
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="temporary_password",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="账号",
                    ),
                ),
                ("issued_at", models.DateTimeField(verbose_name="设置时间")),
                ("replaced_at", models.DateTimeField(blank=True, null=True, verbose_name="本人修改时间")),
                (
                    "issued_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="设置人",
                    ),
                ),
            ],
            options={"verbose_name": "临时密码", "verbose_name_plural": "临时密码"},
        ),
        migrations.AddConstraint(
            model_name="temporarypassword",
            constraint=models.CheckConstraint(
                condition=models.Q(("replaced_at__isnull", True), ("replaced_at__gte", models.F("issued_at")), _connector="OR"),
                name="registration_temporarypassword_replaced_after_issued",
                violation_error_message="修改时间不能早于设置时间。",
            ),
        ),
        migrations.RunPython(refuse_shared_receipts, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="payment", name="registration_payment_receipt_unique"),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("receipt_number", ""), _negated=True),
                fields=("receipt_number",),
                name="registration_payment_receipt_unique",
                violation_error_message="该缴费凭证号已经录入过。",
            ),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="action",
            field=models.CharField(
                choices=[
                    ("login", "登录"),
                    ("login_failed", "登录失败"),
                    ("logout", "退出"),
                    ("register", "预参保登记"),
                    ("update", "修改"),
                    ("payment", "缴费"),
                    ("formalize", "正式参保"),
                    ("void", "作废"),
                    ("view_id", "查看完整证件号码"),
                    ("view_material", "查看材料"),
                    ("print", "打印登记卡"),
                    ("export", "导出"),
                    ("import", "导入"),
                    ("access", "模块权限"),
                    ("admin", "后台管理"),
                    ("password", "修改密码"),
                    ("backup", "数据备份"),
                    ("restore", "数据恢复"),
                ],
                max_length=20,
                verbose_name="操作",
            ),
        ),
    ]
