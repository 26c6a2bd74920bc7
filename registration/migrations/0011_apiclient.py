
import django.db.models.deletion
from django.conf import settings
from django.core.management import call_command
from django.db import migrations, models

# The API's rate counts (settings.CACHES["api"], registration/api/throttles.py): a database cache table,
# made here so that `migrate` is all a deployment runs.
API_CACHE_TABLE = "registration_api_cache"


def api_cache_table_create(apps, schema_editor):
    call_command("createcachetable", API_CACHE_TABLE, database=schema_editor.connection.alias, verbosity=0)


def api_cache_table_drop(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(API_CACHE_TABLE)}")


class Migration(migrations.Migration):

    dependencies = [
        ('registration', '0010_keptupload'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditentry',
            name='action',
            field=models.CharField(choices=[('login', '登录'), ('login_failed', '登录失败'), ('logout', '退出'), ('register', '预参保登记'), ('update', '修改'), ('payment', '缴费'), ('formalize', '正式参保'), ('void', '作废'), ('view_id', '查看完整证件号码'), ('view_material', '查看材料'), ('print', '打印登记卡'), ('export', '导出'), ('import', '导入'), ('access', '模块权限'), ('admin', '后台管理'), ('password', '修改密码'), ('backup', '数据备份'), ('restore', '数据恢复'), ('verify', '核验参保状态'), ('api', '接口调用')], max_length=20, verbose_name='操作'),
        ),
        migrations.CreateModel(
            name='ApiClient',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, verbose_name='名称')),
                ('scopes', models.JSONField(default=list, verbose_name='权限范围')),
                ('key_prefix', models.CharField(editable=False, max_length=16, unique=True, verbose_name='密钥前缀')),
                ('key_hash', models.CharField(editable=False, max_length=64, verbose_name='密钥SHA-256')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='撤销时间')),
                ('hospital', models.ForeignKey(blank=True, help_text='医保中心的客户端不属于任何医疗机构。', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='api_clients', to='registration.hospital', verbose_name='医疗机构')),
                ('user', models.OneToOneField(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='api_client', to=settings.AUTH_USER_MODEL, verbose_name='系统账号')),
            ],
            options={
                'verbose_name': '接口客户端',
                'verbose_name_plural': '接口客户端',
                'ordering': ['name', 'pk'],
                'constraints': [models.UniqueConstraint(condition=models.Q(('revoked_at__isnull', True)), fields=('name',), name='registration_apiclient_name_unique_active', violation_error_message='已有同名的有效接口客户端。')],
            },
        ),
        migrations.RunPython(api_cache_table_create, api_cache_table_drop),
    ]
