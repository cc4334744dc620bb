"""The services of payments: what views, the API and the CLI call. Import them from here.

    allocate / check_ledger                                 fund budgets and their ledger
    build_batches / approve_batch / cancel_batch / export_batch   payment batches and bank files
    apply_return                                            reconciliation (对账)
    request_account_change / decide_account_change          收款账户变更
    raise_receivable / record_repayment                     追回 (offsets happen in batches)
    propose_write_off / approve_write_off / reject_write_off   核销 (two people)
"""

from .account_changes import decide_account_change, request_account_change
from .batches import approve_batch, build_batches, cancel_batch, export_batch
from .ledger import allocate, check_ledger
from .receivables import (
    approve_write_off,
    propose_write_off,
    raise_receivable,
    record_repayment,
    reject_write_off,
)
from .reconciliation import ReturnReport, apply_return

__all__ = [
    "ReturnReport", "allocate", "apply_return", "approve_batch", "approve_write_off",
    "build_batches", "cancel_batch", "check_ledger", "decide_account_change", "export_batch",
    "propose_write_off", "raise_receivable", "record_repayment", "reject_write_off",
    "request_account_change",
]
