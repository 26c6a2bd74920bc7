"""KeptUpload: the files kept for a user between two requests, as rows with their file in the storage."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('registration', '0009_covered_foreign_key_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='KeptUpload',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('token', models.CharField(editable=False, max_length=32, unique=True, verbose_name='令牌')),
                ('kind', models.CharField(choices=[('scan', '登记材料（待提交）'), ('payment_list', '缴费名单（待确认）')], max_length=20, verbose_name='类型')),
                ('material_kind', models.CharField(blank=True, choices=[('household_head', '户口簿户主页'), ('household_parent', '户口簿父（母）亲信息页'), ('id_card', '父（母）亲身份证'), ('birth_record', '出生记录（产时记录、产科登记表）'), ('birth_certificate', '出生医学证明')], max_length=20, verbose_name='材料类型')),
                ('file', models.FileField(max_length=255, upload_to='kept/', verbose_name='文件')),
                ('original_name', models.CharField(blank=True, max_length=255, verbose_name='原文件名')),
                ('content_type', models.CharField(blank=True, max_length=100, verbose_name='文件类型')),
                ('size', models.PositiveIntegerField(verbose_name='大小（字节）')),
                ('sha256', models.CharField(max_length=64, verbose_name='SHA-256')),
                ('created', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='上传时间')),
                ('owner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='上传人')),
            ],
            options={
                'verbose_name': '暂存文件',
                'verbose_name_plural': '暂存文件',
                'ordering': ['created', 'pk'],
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('kind', 'scan'), ('material_kind__gt', '')), models.Q(('kind', 'payment_list'), ('material_kind', '')), _connector='OR'), name='registration_keptupload_material_kind_for_scans', violation_error_message='只有登记材料才有材料类型。')],
            },
        ),
    ]
