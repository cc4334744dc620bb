"""Write bank return files for an exported batch, as a bank would (generic CSV and pain.002)."""

from wengang.payments import bankfiles
from wengang.payments.bankfiles import ReturnRow
from wengang.payments.models import Payment, PaymentBatch


def outcome_rows(batch: PaymentBatch, failed: dict[int, str] | None = None):
    """(end_to_end_id, amount_fen, reason or "") per exported payment; ``failed`` by case id."""
    failed = failed or {}
    return [(e2e, fen, failed.get(case_id, ""))
            for e2e, fen, case_id in batch.payments.filter(status=Payment.Status.EXPORTED)
            .order_by("sequence").values_list("end_to_end_id", "amount_fen", "case_id")]


def _rows(batch: PaymentBatch, rows) -> list[ReturnRow]:
    return [ReturnRow(e2e, fen, not reason, "AC04" if reason else "", reason, batch.message_id)
            for e2e, fen, reason in rows]


def csv_return(batch: PaymentBatch, rows) -> bytes:
    return bankfiles.write_return_csv(_rows(batch, rows))


def pain002_return(batch: PaymentBatch, rows, *, count: int | None = None,
                   total_fen: int | None = None) -> bytes:
    return bankfiles.write_pain002(
        batch.message_id, batch.payment_count if count is None else count,
        batch.total_fen if total_fen is None else total_fen, _rows(batch, rows))
