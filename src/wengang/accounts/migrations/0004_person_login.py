# The person login (skills-training subsidies): role "person", the user's resident-ID blind
# index, and SMS codes keyed by a unit's USCC or a person's blind index (64 hex digits).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_roles_and_login'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='smscode',
            name='sms_code_uscc_created',
        ),
        migrations.RenameField(
            model_name='smscode',
            old_name='uscc',
            new_name='key',
        ),
        migrations.AlterField(
            model_name='smscode',
            name='key',
            field=models.CharField(help_text='单位的统一社会信用代码，或个人身份证号码的盲索引。', max_length=64, verbose_name='登录对象'),
        ),
        migrations.AlterField(
            model_name='smscode',
            name='phone',
            field=models.CharField(blank=True, max_length=20, verbose_name='发送号码'),
        ),
        migrations.AddIndex(
            model_name='smscode',
            index=models.Index(fields=['key', 'created_at'], name='sms_code_key_created'),
        ),
        migrations.AddField(
            model_name='user',
            name='resident_id_digest',
            field=models.CharField(blank=True, editable=False, help_text='个人用户本人身份证号码的盲索引（HMAC-SM3，不可还原）；其他角色为空。', max_length=64, verbose_name='身份证号码指纹'),
        ),
        migrations.AlterField(
            model_name='user',
            name='role',
            field=models.CharField(choices=[('agency', '人社/社保经办'), ('supervisor', '人社/社保经办主管'), ('department', '联审部门'), ('finance', '财政'), ('auditor', '第三方审计'), ('service_officer', '服务专员'), ('enterprise', '企业'), ('admin', '系统管理员'), ('person', '个人')], default='agency', max_length=16, verbose_name='角色'),
        ),
        migrations.AddConstraint(
            model_name='user',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('role', 'person'), models.Q(('resident_id_digest', ''), _negated=True)), models.Q(models.Q(('role', 'person'), _negated=True), ('resident_id_digest', '')), _connector='OR'), name='user_resident_id_digest_only_for_persons'),
        ),
        migrations.AddConstraint(
            model_name='user',
            constraint=models.UniqueConstraint(condition=models.Q(('resident_id_digest', ''), _negated=True), fields=('resident_id_digest',), name='user_one_per_person'),
        ),
    ]
