"""No index on a payment's return file: settling 100,000 payments is 100,000 UPDATEs, each of
which adds an entry to every index of its row (none is HOT: the status feeds the partial unique
indexes). Nothing looks payments up by return file, and a return file is never deleted.

SQLite rebuilds the table to drop the index and loses the exported-batch triggers with it:
they are created again at the end, as in 0005 (on PostgreSQL that replaces them with the same).
"""

from importlib import import_module

import django.db.models.deletion
from django.db import migrations, models

person_payees = import_module("wengang.payments.migrations.0004_person_payees")


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0006_person_account_changes'),
    ]

    operations = [
        migrations.AlterField(
            model_name='payment',
            name='return_file',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='payments', to='payments.returnfile', verbose_name='银行回单'),
        ),
        migrations.RunPython(person_payees.payment_triggers, migrations.RunPython.noop),
    ]
