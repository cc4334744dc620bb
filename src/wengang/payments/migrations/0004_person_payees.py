"""Person payees: a payment or receivable names a unit or a person (skills-training subsidies
paid to the person's social-security card account), exactly one.

``payments_payment`` gains ``person_id``, which is frozen once exported like ``unit_id``
(migration 0002 asks a new column to say so): its triggers are replaced with the column list
below. On SQLite the column changes rebuild the table, which drops its triggers; they are
created again here.
"""

import importlib

import django.db.models.deletion
from django.db import migrations, models

_0002 = importlib.import_module("wengang.payments.migrations.0002_exported_batch_immutable")
PAYMENT_FROZEN = (*_0002.PAYMENT_FROZEN, "person_id")
_changed, _batch_exported = _0002._changed, _0002._batch_exported
EXPORTED, SETTLEMENT, STATUS_FORWARD = _0002.EXPORTED, _0002.SETTLEMENT, _0002.STATUS_FORWARD
_PAYMENT_IN_EXPORTED = _0002._PAYMENT_IN_EXPORTED

_POSTGRES_FROZEN = f"""
DROP TRIGGER IF EXISTS payments_payment_exported_frozen ON payments_payment;
CREATE TRIGGER payments_payment_exported_frozen BEFORE UPDATE ON payments_payment FOR EACH ROW
    WHEN (({_changed(PAYMENT_FROZEN, "IS DISTINCT FROM")})
          OR (OLD.status = 'pending' AND NEW.status = 'cancelled'))
    EXECUTE FUNCTION payments_payment_refuse_if_exported();
"""
_SQLITE_PAYMENT = [
    "DROP TRIGGER IF EXISTS payments_payment_exported_no_insert;",
    "DROP TRIGGER IF EXISTS payments_payment_settled_frozen;",
    "DROP TRIGGER IF EXISTS payments_payment_status_forward;",
    "DROP TRIGGER IF EXISTS payments_payment_exported_frozen;",
    f"""CREATE TRIGGER payments_payment_exported_no_insert BEFORE INSERT ON payments_payment
    WHEN {_batch_exported('NEW')}
    BEGIN
        SELECT RAISE(ABORT, 'payments_payment: no payment may be added to an exported batch');
    END;""",
    f"""CREATE TRIGGER payments_payment_settled_frozen BEFORE UPDATE ON payments_payment
    WHEN OLD.status IN ('paid', 'failed') AND ({_changed(SETTLEMENT, "IS NOT")})
    BEGIN
        SELECT RAISE(ABORT, 'payments_payment: a settled payment (paid or failed) never changes');
    END;""",
    f"""CREATE TRIGGER payments_payment_status_forward BEFORE UPDATE OF status ON payments_payment
    WHEN NEW.status IS NOT OLD.status AND NOT ({STATUS_FORWARD})
    BEGIN
        SELECT RAISE(ABORT, 'payments_payment: status only moves forward');
    END;""",
    f"""CREATE TRIGGER payments_payment_exported_frozen BEFORE UPDATE ON payments_payment
    WHEN (({_changed(PAYMENT_FROZEN, "IS NOT")})
          OR (OLD.status = 'pending' AND NEW.status = 'cancelled'))
         AND {_PAYMENT_IN_EXPORTED}
    BEGIN
        SELECT RAISE(ABORT, 'payments_payment: a payment of an exported batch is immutable');
    END;""",
]


def payment_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(_POSTGRES_FROZEN)
    elif vendor == "sqlite":
        for statement in _SQLITE_PAYMENT:
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0007_person_beneficiary_claim_items'),
        ('payments', '0003_write_off_proposal'),
    ]

    operations = [
        migrations.AddField(
            model_name='payment',
            name='person',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='payments', to='cases.person', verbose_name='个人'),
        ),
        migrations.AddField(
            model_name='receivable',
            name='person',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='receivables', to='cases.person', verbose_name='个人'),
        ),
        migrations.AlterField(
            model_name='payment',
            name='unit',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='payments', to='cases.unit', verbose_name='参保单位'),
        ),
        migrations.AlterField(
            model_name='receivable',
            name='unit',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='receivables', to='cases.unit', verbose_name='参保单位'),
        ),
        migrations.AddConstraint(
            model_name='payment',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('person__isnull', True), ('unit__isnull', False)), models.Q(('person__isnull', False), ('unit__isnull', True)), _connector='OR'), name='payment_one_payee'),
        ),
        migrations.AddConstraint(
            model_name='receivable',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('person__isnull', True), ('unit__isnull', False)), models.Q(('person__isnull', False), ('unit__isnull', True)), _connector='OR'), name='receivable_one_debtor'),
        ),
        # Last: on SQLite every operation above rebuilt the table and dropped its triggers.
        migrations.RunPython(payment_triggers, migrations.RunPython.noop),
    ]
