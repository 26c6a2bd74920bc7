"""The 医保中心's quality page (docs/quality.md): the warnings a registration was confirmed past
(Birth.confirmed_warnings, filled with the agency's for the registrations before it), whether it still lacks
a scan (Birth.materials_pending), the birth's parents' numbers copied onto its newborns, the indexes the
page reads, a record voided as another's duplicate (Newborn.duplicate_of), a pair judged two babies
(DuplicateDismissal). The fills run before the indexes are built."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.db.models import Exists, OuterRef, Q, Subquery


def agency_warnings_fill(apps, schema_editor):
    """The registrations saved before this migration kept only the agency's confirmation."""
    Birth = apps.get_model("registration", "Birth")
    Birth.objects.filter(agency_warning_confirmed=True).update(confirmed_warnings="agency_mismatch")


def materials_pending_fill(apps, schema_editor):
    """rules.materials_missing of the registrations saved before, in SQL: the ID parent's 身份证 or both
    户口簿 pages, and the birth record or certificate (the certificate itself on the certificate route)."""
    Birth = apps.get_model("registration", "Birth")
    Material = apps.get_model("registration", "Material")

    def has(*kinds):
        return Q(Exists(Material.objects.filter(birth_id=OuterRef("pk"), kind__in=kinds)))

    identity = has("id_card") | (has("household_head") & has("household_parent"))
    certificate_route = Q(route="birth_certificate")
    proof = (certificate_route & has("birth_certificate")) | (
        ~certificate_route & has("birth_record", "birth_certificate")
    )
    Birth.objects.exclude(identity & proof).update(materials_pending=True)


def parent_numbers_fill(apps, schema_editor):
    """The newborns made before this migration: their birth's numbers, one UPDATE."""
    Birth = apps.get_model("registration", "Birth")
    Newborn = apps.get_model("registration", "Newborn")
    births = Birth.objects.filter(pk=OuterRef("birth_id"))
    Newborn.objects.update(
        mother_id_number=Subquery(births.values("mother_id_number")[:1]),
        father_id_number=Subquery(births.values("father_id_number")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0029_sms_messages"),
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
            model_name="birth",
            name="materials_pending",
            field=models.BooleanField(
                db_default=False, default=False, editable=False, verbose_name="材料待补"
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
        migrations.AddField(
            model_name="newborn",
            name="father_id_number",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                editable=False,
                max_length=18,
                verbose_name="父亲身份证号",
            ),
        ),
        migrations.AddField(
            model_name="newborn",
            name="mother_id_number",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                editable=False,
                max_length=18,
                verbose_name="母亲身份证号",
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
        migrations.RunPython(agency_warnings_fill, migrations.RunPython.noop),
        migrations.RunPython(materials_pending_fill, migrations.RunPython.noop),
        migrations.RunPython(parent_numbers_fill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="birth",
            index=models.Index(
                condition=models.Q(("confirmed_warnings", ""), _negated=True),
                fields=["registered_on", "hospital"],
                name="registration_birth_warned",
            ),
        ),
        migrations.AddIndex(
            model_name="birth",
            index=models.Index(
                condition=models.Q(("materials_pending", True)),
                fields=["registered_on", "hospital"],
                name="registration_birth_pending",
            ),
        ),
        migrations.AddIndex(
            model_name="newborn",
            index=models.Index(
                condition=models.Q(("state", "paid")),
                fields=["last_day", "hospital"],
                include=("registered_on",),
                name="registration_newborn_paid_due",
            ),
        ),
        migrations.AddIndex(
            model_name="newborn",
            index=models.Index(
                condition=models.Q(
                    models.Q(("mother_id_number", ""), _negated=True),
                    models.Q(("state", "void"), _negated=True),
                ),
                fields=["birth_date", "sex", "mother_id_number"],
                include=("birth",),
                name="registration_newborn_dup_m",
            ),
        ),
        migrations.AddIndex(
            model_name="newborn",
            index=models.Index(
                condition=models.Q(
                    models.Q(("father_id_number", ""), _negated=True),
                    models.Q(("state", "void"), _negated=True),
                ),
                fields=["birth_date", "sex", "father_id_number"],
                include=("birth",),
                name="registration_newborn_dup_f",
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
    ]
