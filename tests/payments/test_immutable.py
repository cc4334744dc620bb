"""An exported batch is immutable in the database itself: raw SQL cannot change what was sent
to the bank (migration 0002), while exporting and reconciling keep working."""

import secrets

import pytest
from django.db import DatabaseError, connection, transaction

from wengang.payments import services
from wengang.payments.models import Payment, PaymentBatch

from .returns import csv_return, outcome_rows
from .world import CITY, PROGRAM

pytestmark = pytest.mark.django_db


def sql(statement: str, params=()) -> int:
    """Run raw SQL in its own savepoint (a refusal leaves the test's transaction usable)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def refused(statement: str, params=()) -> bool:
    try:
        sql(statement, params)
    except DatabaseError:
        return False
    return True


def payment_of(batch: PaymentBatch) -> Payment:
    return batch.payments.order_by("sequence").first()


@pytest.mark.parametrize("assignment", [
    "amount_fen = amount_fen + 1", "gross_fen = gross_fen + 1", "offset_fen = 1",
    "payee_name = 'someone else'", "payee_bank = 'other bank'", "account_digest = 'x'",
    "account_masked = '****9999'", "end_to_end_id = 'WG-FORGED'", "sequence = 99",
    "case_state_before = 'screened'", "status = 'cancelled'", "status = 'pending'"])
def test_raw_sql_cannot_change_a_payment_of_an_exported_batch(exported, assignment):
    batch, _, _ = exported
    payment = payment_of(batch)
    assert not refused(f"UPDATE payments_payment SET {assignment} WHERE id = %s", [payment.pk])
    assert Payment.objects.get(pk=payment.pk).amount_fen == payment.amount_fen
    assert services.check_ledger(batch.budget).balanced


def test_raw_sql_cannot_move_a_payment_to_another_case_or_batch(exported, people, make_case):
    batch, _, _ = exported
    payment = payment_of(batch)
    other = make_case(amount_fen=5_00)
    assert not refused("UPDATE payments_payment SET case_id = %s WHERE id = %s",
                       [other.pk, payment.pk])
    draft = services.build_batches(actor=people.agency, region_code=CITY,
                                   program=PROGRAM).batches[0]
    assert not refused("UPDATE payments_payment SET batch_id = %s WHERE id = %s",
                       [draft.pk, payment.pk])


@pytest.mark.parametrize("assignment", [
    "total_fen = total_fen - 1", "gross_fen = gross_fen - 1", "payment_count = payment_count + 1",
    "csv_sha256 = 'x'", "xml_sha256 = 'x'", "message_id = 'WG-OTHER'", "status = 'approved'",
    "status = 'cancelled'", "exported_at = NULL"])
def test_raw_sql_cannot_change_an_exported_batch(exported, assignment):
    batch, _, _ = exported
    assert not refused(f"UPDATE payments_paymentbatch SET {assignment} WHERE id = %s", [batch.pk])
    assert PaymentBatch.objects.get(pk=batch.pk).total_fen == batch.total_fen


def test_raw_sql_cannot_add_a_payment_to_an_exported_batch(exported):
    batch, _, _ = exported
    payment = payment_of(batch)
    columns = ("batch_id, sequence, case_id, unit_id, end_to_end_id, case_state_before, gross_fen,"
               " offset_fen, amount_fen, status, payee_name, payee_bank, account_kind,"
               " account_sealed, account_digest, account_masked, failure_code, failure_reason")
    statement = (f"INSERT INTO payments_payment ({columns}) SELECT batch_id, 99, case_id, unit_id,"
                 " 'WG-EXTRA', case_state_before, gross_fen, offset_fen, amount_fen, 'failed',"
                 " payee_name, payee_bank, account_kind, account_sealed, account_digest,"
                 " account_masked, 'X', 'extra' FROM payments_payment WHERE id = %s")
    assert not refused(statement, [payment.pk])
    assert batch.payments.count() == 3


def test_a_payment_of_an_exported_batch_cannot_be_removed(exported):
    batch, _, _ = exported
    payment = payment_of(batch)
    if connection.vendor == "postgresql":
        assert not refused("DELETE FROM payments_payment WHERE id = %s", [payment.pk])
        assert not refused("DELETE FROM payments_paymentbatch WHERE id = %s", [batch.pk])
        assert batch.payments.count() == 3
    else:  # SQLite keeps DELETE for the test flush: the books then show the hole
        sql("DELETE FROM payments_payment WHERE id = %s", [payment.pk])
        assert not services.check_ledger(batch.budget).balanced


def test_raw_sql_cannot_change_the_ledger(exported):
    batch, _, _ = exported
    entry = batch.budget.entries.order_by("pk").first()
    assert not refused("UPDATE payments_ledgerentry SET amount_fen = amount_fen + 1 WHERE id = %s",
                       [entry.pk])
    if connection.vendor == "postgresql":  # SQLite keeps DELETE for the test flush
        assert not refused("DELETE FROM payments_ledgerentry WHERE id = %s", [entry.pk])
    assert services.check_ledger(batch.budget).balanced


def test_a_settled_payment_never_changes_again(exported, people):
    batch, cases, _ = exported
    services.apply_return(csv_return(batch, outcome_rows(batch, failed={cases[1].pk: "账户已销户"})),
                          name="r.csv", actor=people.agency)
    paid = batch.payments.get(case=cases[0])
    failed = batch.payments.get(case=cases[1])
    assert (paid.status, failed.status) == (Payment.Status.PAID, Payment.Status.FAILED)
    for payment, assignment in ((paid, "status = 'exported'"), (paid, "status = 'failed'"),
                                (paid, "settled_at = NULL"), (paid, "return_file_id = NULL"),
                                (failed, "status = 'paid'"), (failed, "failure_reason = 'ok'"),
                                (failed, "status = 'exported'")):
        assert not refused(f"UPDATE payments_payment SET {assignment} WHERE id = %s",
                           [payment.pk]), assignment
    assert PaymentBatch.objects.get(pk=batch.pk).status == PaymentBatch.Status.RECONCILED
    assert not refused("UPDATE payments_paymentbatch SET status = 'exported' WHERE id = %s",
                       [batch.pk])
    assert services.check_ledger(batch.budget).balanced


def test_before_export_a_batch_and_its_payments_may_still_change(people, fund, make_case):
    """The guard starts at export: draft and approved batches are the services' to change."""
    make_case(amount_fen=100_00)
    batch = services.build_batches(actor=people.agency, region_code=CITY,
                                   program=PROGRAM).batches[0]
    services.approve_batch(batch, actor=people.finance)
    payment = payment_of(batch)
    assert sql("UPDATE payments_payment SET payee_bank = 'changed' WHERE id = %s", [payment.pk]) == 1
    assert sql("UPDATE payments_paymentbatch SET execution_date = execution_date WHERE id = %s",
               [batch.pk]) == 1
    services.cancel_batch(batch, actor=people.agency, reason="测试撤销")
    assert payment_of(batch).status == Payment.Status.CANCELLED


def test_a_key_rotation_re_seals_exported_payments_and_the_re_export_is_identical(
        exported, people, tmp_path, monkeypatch):
    """Rotation rewrites ``account_sealed`` (allowed); which account it is stays fixed, so the
    bank files come out byte for byte as first exported."""
    from wengang.accounts.models import Role, User
    from wengang.cases import sealing
    from wengang.oversight.rotation import rotate

    batch, _, export = exported
    services.apply_return(csv_return(batch, outcome_rows(batch)), name="r.csv",
                          actor=people.agency)  # paid: settled rows are re-sealed too
    monkeypatch.setenv(sealing.KEYRING_ENV,
                       f"k2:{secrets.token_hex(32)},{sealing.current_key_id()}")
    sealing.reset_keys()
    try:
        admin = User.objects.create_user("sysadmin", password=None, role=Role.ADMIN,
                                         region_code=CITY)
        assert rotate(actor=admin).resealed["payments.Payment.account_sealed"] == 3
        assert all(s.startswith("sm4gcm1:k2:")
                   for s in batch.payments.values_list("account_sealed", flat=True))
        again = services.export_batch(batch, actor=people.agency, out_dir=tmp_path / "again")
        assert (again.csv_sha256, again.xml_sha256) == (export.csv_sha256, export.xml_sha256)
        assert not again.first
    finally:
        monkeypatch.delenv(sealing.KEYRING_ENV)
        sealing.reset_keys()
