"""The 医保中心's quality page (docs/quality.md): the warnings a registration was confirmed past
(Birth.confirmed_warnings, filled with the agency's for the registrations before it), a record voided as
another's duplicate (Newborn.duplicate_of), a pair judged two babies (DuplicateDismissal)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def agency_warnings_fill(apps, schema_editor):
    """The registrations saved before this migration kept only the agency's confirmation."""
    Birth = apps.get_model("registration", "Birth")
    Birth.objects.filter(agency_warning_confirmed=True).update(confirmed_warnings="agency_mismatch")


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0027_birth_request_fingerprint"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="DuplicateDismissal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "decided_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="判定时间"),
                ),
                ("reason", models.CharField(max_length=200, verbose_name="原因")),
            ],
            options={
                "verbose_name": "非重复登记判定",
                "verbose_name_plural": "非重复登记判定",
                "ordering": ["-decided_at", "-pk"],
            },
        ),
        migrations.AddField(
            model_name="birth",
            name="confirmed_warnings",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                editable=False,
                max_length=100,
                verbose_name="已确认的提示",
            ),
        ),
        migrations.AddField(
            model_name="newborn",
            name="duplicate_of",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="registration.newborn",
                verbose_name="重复登记（保留的记录）",
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
                    ("verify", "核验参保状态"),
                    ("api", "接口调用"),
                    ("duplicate", "重复登记判定"),
                ],
                max_length=20,
                verbose_name="操作",
            ),
        ),
        migrations.AddIndex(
            model_name="birth",
            index=models.Index(
                condition=models.Q(("confirmed_warnings", ""), _negated=True),
                fields=["registered_on", "hospital"],
                name="registration_birth_warned",
            ),
        ),
        migrations.AddField(
            model_name="duplicatedismissal",
            name="decided_by",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="判定人",
            ),
        ),
        migrations.AddField(
            model_name="duplicatedismissal",
            name="first",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="registration.newborn",
                verbose_name="记录一",
            ),
        ),
        migrations.AddField(
            model_name="duplicatedismissal",
            name="second",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="registration.newborn",
                verbose_name="记录二",
            ),
        ),
        migrations.AddConstraint(
            model_name="duplicatedismissal",
            constraint=models.UniqueConstraint(
                fields=("first", "second"),
                name="registration_duplicatedismissal_pair_unique",
                violation_error_message="这两条记录已经判定为非重复登记。",
            ),
        ),
        migrations.AddConstraint(
            model_name="duplicatedismissal",
            constraint=models.CheckConstraint(
                condition=models.Q(("first__lt", models.F("second"))),
                name="registration_duplicatedismissal_pair_ordered",
                violation_error_message="记录一须早于记录二。",
            ),
        ),
        migrations.RunPython(agency_warnings_fill, migrations.RunPython.noop),
    ]
