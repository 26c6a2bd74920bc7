# The administrator's screens (issue 29): a payment's amount is never negative, whatever writes it; an
# operator keeps the reason their access was withdrawn or refused; Chinese labels and help texts for the
# admin (no change to the database for those).

from decimal import Decimal

import django.core.validators
from django.db import migrations, models


def refuse_negative_amounts(apps, schema_editor):
    # The new constraint would fail with a bare IntegrityError: say which payments to correct first.
    Payment = apps.get_model("registration", "Payment")
    negative = list(Payment.objects.filter(amount__lt=0).order_by("pk").values_list("pk", "amount")[:50])
    if negative:
        listed = ", ".join(f"{pk} ({amount})" for pk, amount in negative)
        raise RuntimeError(
            "These payments have a negative amount, which the new constraint refuses. Correct each amount "
            "to the receipt's (the admin: 缴费记录, or UPDATE registration_payment SET amount = ... WHERE "
            f"id = ...; NULL when unknown) before migrating: {listed}"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0020_audit_seals"),
    ]

    operations = [
        migrations.AddField(
            model_name="operator",
            name="access_reason",
            field=models.CharField(blank=True, max_length=200, verbose_name="权限变更原因"),
        ),
        migrations.AlterField(
            model_name="hospital",
            name="has_maternity_ward",
            field=models.BooleanField(
                default=True,
                help_text="只有设有产科的定点医疗机构可以办理新生儿预参保登记；取消勾选后，该机构不能再新增登记"
                "（已有记录保留，它仍可被选为出生医院）。",
                verbose_name="设有产科",
            ),
        ),
        migrations.AlterField(
            model_name="hospital",
            name="is_active",
            field=models.BooleanField(
                default=True,
                help_text="停用后，该机构的经办人员、主管和接口客户端不能再使用本模块；已登记的记录保留，"
                "管理员仍可查询。重新勾选即可恢复。每次启用、停用都记入操作日志。",
                verbose_name="启用",
            ),
        ),
        migrations.AlterField(
            model_name="numbersequence",
            name="name",
            field=models.CharField(max_length=50, primary_key=True, serialize=False, verbose_name="序列名称"),
        ),
        migrations.AlterField(
            model_name="numbersequence",
            name="last_value",
            field=models.BigIntegerField(default=0, verbose_name="当前值"),
        ),
        migrations.AlterField(
            model_name="payment",
            name="amount",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                max_digits=10,
                null=True,
                validators=[django.core.validators.MinValueValidator(Decimal("0"), message="缴费金额不能为负数。")],
                verbose_name="金额（元）",
            ),
        ),
        migrations.RunPython(refuse_negative_amounts, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount__isnull", True), ("amount__gte", 0), _connector="OR"),
                name="registration_payment_amount_not_negative",
                violation_error_message="缴费金额不能为负数。",
            ),
        ),
    ]
