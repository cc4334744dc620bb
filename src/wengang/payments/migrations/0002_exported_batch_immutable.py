"""Database guards behind "an exported batch is immutable" (the services check it too).

Once a batch is exported, what was sent to the bank is fixed in the database itself, so that
raw SQL (a console, a script, a compromised service account) cannot redirect or resize a
payment after the fact:

- ``payments_paymentbatch``: an exported or reconciled batch changes nothing but its status,
  and that only from exported to reconciled;
- ``payments_payment``: no payment is added to an exported batch; a payment of an exported
  batch (status exported, paid or failed, or pending with an exported batch) keeps its case,
  unit, amounts, payee, account digest and masked form, sequence and references;
- a payment's status only moves forward: pending → exported / paid / cancelled, exported →
  paid / failed. A settled payment (paid or failed) never changes again, its settlement
  (time, return file, failure code and reason) included: a paid payment cannot be "unpaid"
  and reconciled a second time.

What stays possible is exactly what the services do: export (pending → exported), the bank's
answer (exported → paid/failed, with time, return file and reason) and re-sealing an account
under a new key (``account_sealed``: ``wengang seal rotate``; the digest that says *which*
account it is stays fixed, and a re-export must still give the recorded SHA-256).

DELETE of a payment or batch of an exported batch is refused on PostgreSQL. SQLite keeps
DELETE possible because Django's test flush empties tables with DELETE in no fixed order (as
for case events and audit records); a deleted payment still shows in ``check_ledger`` (its
reserved or paid money no longer matches the payments).

The ledger's entries (``payments_ledgerentry``) are the books: the ORM only adds them
(``AppendOnlyModel``), and here the database refuses UPDATE too (and DELETE on PostgreSQL), as
for case events and audit records.

Columns are listed here: a later migration adding a column to either table must say whether
it is frozen, by replacing these triggers.
"""

from django.db import migrations

EXPORTED = "('exported', 'reconciled')"
PAYMENT_FROZEN = ("batch_id", "sequence", "case_id", "unit_id", "end_to_end_id",
                  "case_state_before", "gross_fen", "offset_fen", "amount_fen",
                  "offset_receivable_id", "payee_name", "payee_bank", "account_change_id",
                  "account_kind", "account_digest", "account_masked")
SETTLEMENT = ("status", "settled_at", "return_file_id", "failure_code", "failure_reason")
BATCH_FROZEN = ("paying_account_id", "budget_id", "program", "message_id", "execution_date",
                "created_at", "created_by_id", "approved_at", "approved_by_id", "exported_at",
                "payment_count", "gross_fen", "total_fen", "csv_sha256", "xml_sha256")
STATUS_FORWARD = ("(OLD.status = 'pending' AND NEW.status IN ('exported', 'paid', 'cancelled'))"
                  " OR (OLD.status = 'exported' AND NEW.status IN ('paid', 'failed'))")


def _changed(columns: tuple[str, ...], differs: str) -> str:
    return " OR ".join(f"OLD.{c} {differs} NEW.{c}" for c in columns)


def _batch_exported(row: str) -> str:
    return f"(SELECT status FROM payments_paymentbatch WHERE id = {row}.batch_id) IN {EXPORTED}"


# A payment with status exported, paid or failed is in an exported batch (those statuses are
# reached only by exporting): the batch is looked up only for a pending or cancelled one, so
# reconciling 100,000 payments costs no extra query.
_PAYMENT_IN_EXPORTED = f"(OLD.status IN ('exported', 'paid', 'failed') OR {_batch_exported('OLD')})"

# PostgreSQL: the conditions sit in each trigger's WHEN clause, evaluated by the executor, so
# exporting or reconciling 100,000 payments calls no function; only a row that breaks a rule,
# or needs its batch looked up (a WHEN clause cannot query), reaches PL/pgSQL. Inserts are
# checked once per statement over the inserted rows.
POSTGRES_UP = f"""
CREATE OR REPLACE FUNCTION payments_refuse() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'restrict_violation',
        MESSAGE = TG_TABLE_NAME || ': ' || TG_ARGV[0] || ' (' || TG_OP || ' refused)';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION payments_payment_refuse_if_exported() RETURNS trigger AS $$
BEGIN
    IF {_PAYMENT_IN_EXPORTED} THEN
        RAISE EXCEPTION USING ERRCODE = 'restrict_violation', MESSAGE =
            'payments_payment: a payment of an exported batch is immutable (' || TG_OP
            || ' refused)';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION payments_payment_no_insert_into_exported() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM inserted i JOIN payments_paymentbatch b ON b.id = i.batch_id
               WHERE b.status IN {EXPORTED}) THEN
        RAISE EXCEPTION USING ERRCODE = 'restrict_violation', MESSAGE =
            'payments_payment: no payment may be added to an exported batch';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER payments_payment_exported_no_insert AFTER INSERT ON payments_payment
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT
    EXECUTE FUNCTION payments_payment_no_insert_into_exported();
CREATE TRIGGER payments_payment_settled_frozen BEFORE UPDATE ON payments_payment FOR EACH ROW
    WHEN (OLD.status IN ('paid', 'failed') AND ({_changed(SETTLEMENT, "IS DISTINCT FROM")}))
    EXECUTE FUNCTION payments_refuse('a settled payment (paid or failed) never changes');
CREATE TRIGGER payments_payment_status_forward BEFORE UPDATE ON payments_payment FOR EACH ROW
    WHEN (NEW.status IS DISTINCT FROM OLD.status AND NOT ({STATUS_FORWARD}))
    EXECUTE FUNCTION payments_refuse('status only moves forward');
CREATE TRIGGER payments_payment_exported_frozen BEFORE UPDATE ON payments_payment FOR EACH ROW
    WHEN (({_changed(PAYMENT_FROZEN, "IS DISTINCT FROM")})
          OR (OLD.status = 'pending' AND NEW.status = 'cancelled'))
    EXECUTE FUNCTION payments_payment_refuse_if_exported();
CREATE TRIGGER payments_payment_exported_no_delete BEFORE DELETE ON payments_payment
    FOR EACH ROW EXECUTE FUNCTION payments_payment_refuse_if_exported();

CREATE TRIGGER payments_paymentbatch_exported_frozen BEFORE UPDATE ON payments_paymentbatch
    FOR EACH ROW
    WHEN (OLD.status IN {EXPORTED}
          AND (({_changed(BATCH_FROZEN, "IS DISTINCT FROM")})
               OR NOT (NEW.status = OLD.status
                       OR (OLD.status = 'exported' AND NEW.status = 'reconciled'))))
    EXECUTE FUNCTION payments_refuse('an exported batch is immutable');
CREATE TRIGGER payments_paymentbatch_exported_no_delete BEFORE DELETE ON payments_paymentbatch
    FOR EACH ROW WHEN (OLD.status IN {EXPORTED})
    EXECUTE FUNCTION payments_refuse('an exported batch is immutable');

CREATE TRIGGER payments_ledgerentry_append_only BEFORE UPDATE OR DELETE ON payments_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION payments_refuse('ledger entries are append-only');
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS payments_payment_exported_no_insert ON payments_payment;
DROP TRIGGER IF EXISTS payments_payment_settled_frozen ON payments_payment;
DROP TRIGGER IF EXISTS payments_payment_status_forward ON payments_payment;
DROP TRIGGER IF EXISTS payments_payment_exported_frozen ON payments_payment;
DROP TRIGGER IF EXISTS payments_payment_exported_no_delete ON payments_payment;
DROP TRIGGER IF EXISTS payments_paymentbatch_exported_frozen ON payments_paymentbatch;
DROP TRIGGER IF EXISTS payments_paymentbatch_exported_no_delete ON payments_paymentbatch;
DROP TRIGGER IF EXISTS payments_ledgerentry_append_only ON payments_ledgerentry;
DROP FUNCTION IF EXISTS payments_refuse();
DROP FUNCTION IF EXISTS payments_payment_refuse_if_exported();
DROP FUNCTION IF EXISTS payments_payment_no_insert_into_exported();
"""
SQLITE_UP = [
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
    f"""CREATE TRIGGER payments_paymentbatch_exported_frozen BEFORE UPDATE ON payments_paymentbatch
    WHEN OLD.status IN {EXPORTED}
         AND (({_changed(BATCH_FROZEN, "IS NOT")})
              OR NOT (NEW.status = OLD.status
                      OR (OLD.status = 'exported' AND NEW.status = 'reconciled')))
    BEGIN
        SELECT RAISE(ABORT, 'payments_paymentbatch: an exported batch is immutable');
    END;""",
    """CREATE TRIGGER payments_ledgerentry_append_only BEFORE UPDATE ON payments_ledgerentry
    BEGIN
        SELECT RAISE(ABORT, 'payments_ledgerentry: ledger entries are append-only');
    END;""",
]
SQLITE_DOWN = [f"DROP TRIGGER IF EXISTS {name};" for name in (
    "payments_payment_exported_no_insert", "payments_payment_settled_frozen",
    "payments_payment_status_forward", "payments_payment_exported_frozen",
    "payments_paymentbatch_exported_frozen", "payments_ledgerentry_append_only")]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP)
    elif vendor == "sqlite":
        for statement in SQLITE_UP:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN)
    elif vendor == "sqlite":
        for statement in SQLITE_DOWN:
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [("payments", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
