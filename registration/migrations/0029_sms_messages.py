# The text messages to families (docs/sms.md): the message rows, the family's decline on the newborn, the two audit actions.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('registration', '0031_api_client_service_accounts'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='newborn',
            name='sms_declined_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='拒收短信时间'),
        ),
        migrations.AddField(
            model_name='newborn',
            name='sms_declined_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='拒收短信登记人'),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='action',
            field=models.CharField(choices=[('login', '登录'), ('login_failed', '登录失败'), ('logout', '退出'), ('register', '预参保登记'), ('update', '修改'), ('payment', '缴费'), ('formalize', '正式参保'), ('void', '作废'), ('view_id', '查看完整证件号码'), ('view_material', '查看材料'), ('print', '打印登记卡'), ('export', '导出'), ('import', '导入'), ('access', '模块权限'), ('admin', '后台管理'), ('password', '修改密码'), ('backup', '数据备份'), ('restore', '数据恢复'), ('verify', '核验参保状态'), ('api', '接口调用'), ('sms', '发送短信'), ('sms_decline', '拒收短信')], max_length=20, verbose_name='操作'),
        ),
        migrations.CreateModel(
            name='SmsMessage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('welcome', '登记告知'), ('reminder', '缴费提醒'), ('confirmation', '缴费确认')], max_length=16, verbose_name='类型')),
                ('step', models.PositiveSmallIntegerField(default=0, verbose_name='提前天数')),
                ('phone', models.CharField(max_length=20, verbose_name='手机号码')),
                ('template_code', models.CharField(max_length=64, verbose_name='模板编号')),
                ('params', models.JSONField(default=dict, verbose_name='模板参数')),
                ('text', models.TextField(verbose_name='短信内容')),
                ('state', models.CharField(choices=[('pending', '待发送'), ('sending', '发送中'), ('sent', '已发送'), ('failed', '发送失败'), ('declined', '家长拒收'), ('cancelled', '无需发送')], default='pending', max_length=16, verbose_name='状态')),
                ('gateway_id', models.CharField(blank=True, max_length=100, verbose_name='网关消息ID')),
                ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='发送次数')),
                ('next_attempt_at', models.DateTimeField(verbose_name='下次发送时间')),
                ('claimed_at', models.DateTimeField(blank=True, null=True, verbose_name='领取时间')),
                ('last_error', models.CharField(blank=True, max_length=200, verbose_name='失败原因')),
                ('created_at', models.DateTimeField(verbose_name='创建时间')),
                ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='发送时间')),
                ('newborn', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='sms_messages', to='registration.newborn', verbose_name='新生儿')),
            ],
            options={
                'verbose_name': '短信',
                'verbose_name_plural': '短信',
                'ordering': ['-created_at', '-pk'],
                'default_permissions': ('view',),
                'indexes': [models.Index(condition=models.Q(('state__in', ['pending', 'sending'])), fields=['next_attempt_at'], name='registration_sms_queue'), models.Index(condition=models.Q(('state__in', ['failed', 'pending']), models.Q(('last_error', ''), _negated=True)), fields=['newborn'], name='registration_sms_failed'), models.Index(fields=['created_at'], name='registration_sms_created')],
                'constraints': [models.UniqueConstraint(fields=('newborn', 'kind', 'step'), name='registration_sms_once', violation_error_message='同一条短信不能重复生成。'), models.CheckConstraint(condition=models.Q(('kind__in', ['welcome', 'reminder', 'confirmation'])), name='registration_sms_kind_valid', violation_error_message='短信类型无效。'), models.CheckConstraint(condition=models.Q(('state__in', ['pending', 'sending', 'sent', 'failed', 'declined', 'cancelled'])), name='registration_sms_state_valid', violation_error_message='短信状态无效。')],
            },
        ),
    ]
