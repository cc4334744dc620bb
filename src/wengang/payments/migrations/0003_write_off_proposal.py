"""Two-person write-offs of receivables: an officer's proposal, decided by finance (issue 5).

At most one open proposal per receivable, and never decided by its proposer: both are
constraints, so two approvals cannot write off the same money twice.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0002_exported_batch_immutable'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='WriteOffProposal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('amount_fen', models.BigIntegerField(verbose_name='核销金额（分）')),
                ('reason', models.TextField(verbose_name='核销理由')),
                ('status', models.CharField(choices=[('pending', '待批准'), ('approved', '已核销'), ('rejected', '不予核销')], default='pending', max_length=16, verbose_name='状态')),
                ('proposed_at', models.DateTimeField(verbose_name='申请时间')),
                ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='批准或驳回时间')),
                ('decision_note', models.CharField(blank=True, max_length=200, verbose_name='批准意见或驳回理由')),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='批准人')),
                ('entry', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='proposal', to='payments.receivableentry', verbose_name='核销记录')),
                ('proposed_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='申请人')),
                ('receivable', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='write_off_proposals', to='payments.receivable', verbose_name='应追回款')),
            ],
            options={
                'verbose_name': '核销申请',
                'verbose_name_plural': '核销申请',
                'ordering': ('proposed_at', 'id'),
                'constraints': [models.UniqueConstraint(condition=models.Q(('status', 'pending')), fields=('receivable',), name='write_off_one_open_per_receivable'), models.CheckConstraint(condition=models.Q(('amount_fen__gt', 0)), name='write_off_amount_positive'), models.CheckConstraint(condition=models.Q(models.Q(('decided_by__isnull', True), ('entry__isnull', True), ('status', 'pending')), models.Q(('decided_by__isnull', False), ('entry__isnull', False), ('status', 'approved'), models.Q(('decided_by', models.F('proposed_by')), _negated=True)), models.Q(('decided_by__isnull', False), ('entry__isnull', True), ('status', 'rejected'), models.Q(('decided_by', models.F('proposed_by')), _negated=True)), _connector='OR'), name='write_off_decided_by_another')],
            },
        ),
    ]
