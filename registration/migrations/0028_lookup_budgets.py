# The lookups of other hospitals' records (docs/privacy.md): BudgetCount counts the rate limits' calls per key
# and fixed window, atomically, in the database every node shares; AuditEntry.Action gains LOOKUP (跨院查询).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('registration', '0027_birth_request_fingerprint'),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditentry',
            name='action',
            field=models.CharField(choices=[('login', '登录'), ('login_failed', '登录失败'), ('logout', '退出'), ('register', '预参保登记'), ('update', '修改'), ('payment', '缴费'), ('formalize', '正式参保'), ('void', '作废'), ('view_id', '查看完整证件号码'), ('view_material', '查看材料'), ('print', '打印登记卡'), ('export', '导出'), ('import', '导入'), ('access', '模块权限'), ('admin', '后台管理'), ('password', '修改密码'), ('backup', '数据备份'), ('restore', '数据恢复'), ('verify', '核验参保状态'), ('api', '接口调用'), ('lookup', '跨院查询')], max_length=20, verbose_name='操作'),
        ),
        migrations.CreateModel(
            name='BudgetCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=200, verbose_name='计数键')),
                ('window_start', models.BigIntegerField(verbose_name='时间窗起点（Unix秒）')),
                ('expires', models.BigIntegerField(db_index=True, verbose_name='时间窗终点（Unix秒）')),
                ('calls', models.PositiveIntegerField(default=0, verbose_name='次数')),
            ],
            options={
                'verbose_name': '调用计数',
                'verbose_name_plural': '调用计数',
                'constraints': [models.UniqueConstraint(fields=('key', 'window_start'), name='registration_budgetcount_window')],
            },
        ),
    ]
