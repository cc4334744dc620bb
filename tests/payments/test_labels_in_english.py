"""Payments' labels in English: a Chinese word that cases also use (已撤销, 申请人 …) carries the
context ``payments``, so the cases catalogue (read first) does not give it the cases' meaning."""

import pytest
from django.utils import translation

from wengang.cases.models import Case, State
from wengang.payments.models import (
    AccountChange,
    Payment,
    PaymentBatch,
    Receivable,
    WriteOffProposal,
)


def label(model, name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)


@pytest.mark.parametrize("text, english", [
    (lambda: PaymentBatch.Status.CANCELLED.label, "Cancelled"),
    (lambda: Payment.Status.CANCELLED.label, "Cancelled"),
    (lambda: State.WITHDRAWN.label, "Withdrawn"),  # the case's word stays the case's
    (lambda: label(Payment, "gross_fen"), "Refund (fen)"),
    (lambda: label(Case, "amount_fen"), "Amount (fen)"),
    (lambda: label(AccountChange, "requested_by"), "Requested by"),
    (lambda: label(WriteOffProposal, "proposed_by"), "Requested by"),
    (lambda: label(Receivable, "source"), "Source"),
])
def test_a_shared_chinese_word_has_the_english_of_its_own_app(text, english):
    with translation.override("en"):
        assert str(text()) == english
    with translation.override("zh-hans"):
        assert str(text()) != english


def test_a_cancelled_batch_shows_cancelled_in_english():
    batch = PaymentBatch(status=PaymentBatch.Status.CANCELLED)
    with translation.override("en"):
        assert batch.get_status_display() == "Cancelled"
    with translation.override("zh-hans"):
        assert batch.get_status_display() == "已撤销"
