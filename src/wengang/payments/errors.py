"""Errors of payments, each with a stable ``code`` and a message in Chinese and English.

They extend the cases error tree (``CaseError``), so the CLI, views and the API map them the
same way; ``str()`` gives the Chinese message, then the English one. A refused step changes
nothing::

    CaseError
    └── PaymentError
        ├── BudgetMissing          no budget for the region × program × year
        ├── BudgetKeyInvalid       an unknown region or program, or not the program's refund year
        ├── BudgetExceeded         approving the batch would overdraw the budget (names the shortfall)
        ├── BatchStateError        the batch's status does not allow the step
        ├── PayingAccountMissing   no paying account of the fund covers a unit's region
        ├── BankFileInvalid        our own checks of an export failed (a bug: nothing is written)
        ├── ReturnFileRejected     a bank return file is malformed or does not match (with a report)
        ├── AccountChangeRefused   holder name, cooling-off or approver rules not met
        └── ReceivableError        an amount larger than what is outstanding, a second open
                                   write-off proposal, a proposer deciding their own …
"""

from enum import StrEnum

from wengang.cases.errors import CaseError


class PaymentErrorCode(StrEnum):
    BUDGET_MISSING = "budget_missing"
    BUDGET_EXCEEDED = "budget_exceeded"
    BUDGET_KEY = "budget_key"
    BATCH_STATE = "batch_state"
    PAYING_ACCOUNT_MISSING = "paying_account_missing"
    BANK_FILE_INVALID = "bank_file_invalid"
    RETURN_REJECTED = "return_rejected"
    ACCOUNT_CHANGE_REFUSED = "account_change_refused"
    RECEIVABLE = "receivable"


class PaymentError(CaseError):
    code = PaymentErrorCode.BATCH_STATE


class BudgetMissing(PaymentError):
    code = PaymentErrorCode.BUDGET_MISSING

    def __init__(self, region_code: str, program: str, year: int) -> None:
        self.region_code, self.program, self.year = region_code, program, year
        super().__init__(f"行政区划 {region_code} 没有 {program} {year} 年度的资金预算，请财政部门先录入",
                         f"no fund budget for {program} {year} in region {region_code}: "
                         "finance must enter one first")


class BudgetKeyInvalid(PaymentError):
    """A budget must name a known region, a known program and that program's refund year."""

    code = PaymentErrorCode.BUDGET_KEY

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(zh, en)


class BudgetExceeded(PaymentError):
    code = PaymentErrorCode.BUDGET_EXCEEDED

    def __init__(self, budget: str, needed_fen: int, available_fen: int) -> None:
        from wengang.core.money import fen_to_yuan

        self.needed_fen, self.available_fen = needed_fen, available_fen
        self.shortfall_fen = needed_fen - available_fen
        need, have, short = (fen_to_yuan(v, grouping=True)
                             for v in (needed_fen, available_fen, self.shortfall_fen))
        super().__init__(f"预算“{budget}”余额不足：本批需 {need} 元，可用 {have} 元，缺口 {short} 元",
                         f"budget {budget} is short by {short} yuan: the batch needs {need}, "
                         f"{have} remain")


class BatchStateError(PaymentError):
    code = PaymentErrorCode.BATCH_STATE

    def __init__(self, batch_id: int, status: str, step: str, allowed: tuple[str, ...]) -> None:
        self.batch_id, self.status = batch_id, status
        super().__init__(f"拨付批次 {batch_id} 当前为“{status}”，不能{step}（仅限：{'、'.join(allowed)}）",
                         f"payment batch {batch_id} is {status}: cannot {step} "
                         f"(only when {', '.join(allowed)})")


class PayingAccountMissing(PaymentError):
    code = PaymentErrorCode.PAYING_ACCOUNT_MISSING

    def __init__(self, region_code: str) -> None:
        self.region_code = region_code
        super().__init__(f"没有覆盖行政区划 {region_code} 的付款账户，请先登记",
                         f"no paying account covers region {region_code}: add one first")


class BankFileInvalid(PaymentError):
    code = PaymentErrorCode.BANK_FILE_INVALID

    def __init__(self, what: str, problems: list[str]) -> None:
        self.problems = problems
        listed = "; ".join(problems[:5])
        super().__init__(f"{what} 未通过校验，未写出文件：{listed}",
                         f"{what} failed its checks and was not written: {listed}")


class ReturnFileRejected(PaymentError):
    code = PaymentErrorCode.RETURN_REJECTED

    def __init__(self, name: str, problems: list[str]) -> None:
        self.name, self.problems = name, problems
        listed = "; ".join(problems[:5]) + (f"（共 {len(problems)} 项）" if len(problems) > 5 else "")
        super().__init__(f"银行回单 {name} 被拒绝，未作任何更改：{listed}",
                         f"bank return file {name} rejected, nothing changed: {len(problems)} "
                         "problem(s), listed in the report")


class AccountChangeRefused(PaymentError):
    code = PaymentErrorCode.ACCOUNT_CHANGE_REFUSED

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(zh, en)


class ReceivableError(PaymentError):
    code = PaymentErrorCode.RECEIVABLE

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(zh, en)
