"""The event label "notified" reads 告知 (a trainee is notified too, not only an enterprise)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0008_publicity_listing'),
    ]

    operations = [
        migrations.AlterField(
            model_name='caseevent',
            name='action',
            field=models.CharField(choices=[('opened', '筛查立案'), ('rescreened', '重新筛查更新'), ('rescreen_withdrawn', '重新筛查后撤销'), ('rescreen_reopened', '重新筛查后恢复'), ('notified', '告知'), ('applied', '确认信息并签署承诺书'), ('declined', '企业放弃'), ('expired', '逾期未申请'), ('withdrawn', '撤销'), ('review_started', '提交部门联审'), ('approved', '审核通过'), ('returned', '联审退回'), ('rejected', '不予通过'), ('publicity_started', '进入公示'), ('objection_filed', '公示异议'), ('held', '暂缓'), ('released', '解除暂缓'), ('made_payable', '公示期满，待拨付'), ('late_claim_reopened', '补报后恢复'), ('reminded', '提醒申请'), ('account_changed', '变更收款账户'), ('payment_started', '列入拨付批次'), ('payment_cancelled', '撤出未导出的拨付批次'), ('paid', '银行回单：已到账'), ('payment_failed', '银行回单：拨付失败')], max_length=24, verbose_name='事项'),
        ),
    ]
