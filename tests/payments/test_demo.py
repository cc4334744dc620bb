"""The demo's payment step pays the city, reconciles a return with failures, re-pays one."""

import pytest
from rich.console import Console

from wengang.cases.models import Case, State
from wengang.payments.demo import pay_demo_city
from wengang.payments.ledger import check_ledger
from wengang.payments.models import Budget, Payment, PaymentBatch

from .world import CITY

pytestmark = pytest.mark.django_db


def test_the_demo_pays_reconciles_and_repays_a_failure(people, make_case, tmp_path):
    cases = [make_case(amount_fen=10_000 + i) for i in range(20)]
    cases += [make_case(amount_fen=50_000, program="difficult-2020") for _ in range(3)]
    console = Console(record=True, width=120)
    result = pay_demo_city(agency=people.agency, finance=people.finance, region_code=CITY,
                           out_dir=tmp_path, console=console, fail_every=7)
    assert result.batches == 2
    assert (result.paid, result.failed) == (21, 2)  # the 7th and 14th inclusive transfers
    assert Case.objects.get(pk=result.repaid_case).state == State.PAID
    assert Payment.objects.filter(case_id=result.repaid_case).count() == 2
    assert Case.objects.filter(state=State.PAID).count() == 22
    assert Case.objects.filter(state=State.PAYMENT_FAILED).count() == 1
    assert set(PaymentBatch.objects.values_list("status", flat=True)) == {"reconciled"}
    assert all(check_ledger(b).balanced for b in Budget.objects.all())
    assert "拨付与对账" in console.export_text()
    assert len(list(tmp_path.glob("*.pain002.xml"))) == 3
