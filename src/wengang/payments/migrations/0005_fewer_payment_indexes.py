"""Fewer indexes on payments: settling 100,000 payments is 100,000 UPDATEs, each of which
touches every index of its row (none is HOT: the status feeds the partial unique indexes).

- the batch's own index goes: the unique (batch, sequence) leads with it;
- the end-to-end id becomes a named unique constraint: ``unique=True`` also made PostgreSQL
  keep a LIKE-pattern index of the column, which nothing queries;
- the person, the offset receivable and the account change, empty on most payments, are
  indexed only where set.

SQLite rebuilds the table to drop an index of a column, and a rebuilt table has lost its
triggers (an exported batch is immutable: 0002, with the columns of 0004): they are created
again at the end (on PostgreSQL
that replaces them with the same).
"""

from importlib import import_module

import django.db.models.deletion
from django.db import migrations, models

person_payees = import_module("wengang.payments.migrations.0004_person_payees")


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0008_publicity_listing'),
        ('payments', '0004_person_payees'),
    ]

    operations = [
        migrations.AlterField(
            model_name='payment',
            name='account_change',
            field=models.ForeignKey(blank=True, db_index=False, help_text='空：案件登记的收款账户。', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='payments.accountchange', verbose_name='账户变更'),
        ),
        migrations.AlterField(
            model_name='payment',
            name='batch',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='payments', to='payments.paymentbatch', verbose_name='拨付批次'),
        ),
        migrations.AlterField(
            model_name='payment',
            name='end_to_end_id',
            field=models.CharField(max_length=35, verbose_name='端到端编号'),
        ),
        migrations.AlterField(
            model_name='payment',
            name='offset_receivable',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='offset_payments', to='payments.receivable', verbose_name='抵扣的应追回款'),
        ),
        migrations.AlterField(
            model_name='payment',
            name='person',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='payments', to='cases.person', verbose_name='个人'),
        ),
        migrations.AddIndex(
            model_name='payment',
            index=models.Index(condition=models.Q(('person__isnull', False)), fields=['person'], name='payment_person'),
        ),
        migrations.AddIndex(
            model_name='payment',
            index=models.Index(condition=models.Q(('offset_receivable__isnull', False)), fields=['offset_receivable'], name='payment_offset_receivable'),
        ),
        migrations.AddIndex(
            model_name='payment',
            index=models.Index(condition=models.Q(('account_change__isnull', False)), fields=['account_change'], name='payment_account_change'),
        ),
        migrations.AddConstraint(
            model_name='payment',
            constraint=models.UniqueConstraint(fields=('end_to_end_id',), name='payment_end_to_end_id_unique'),
        ),
        migrations.RunPython(person_payees.payment_triggers, migrations.RunPython.noop),
    ]
