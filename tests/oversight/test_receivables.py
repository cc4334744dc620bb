"""An improper finding on a paid case becomes a receivable in payments; the export of the
bank files and the payments themselves are in the audit chain."""

from datetime import date

import pytest

from tests.payments import conftest as payment_fixtures
from tests.payments.returns import csv_return, outcome_rows
from wengang.accounts.models import Role, User
from wengang.cases.models import Case
from wengang.oversight import audit, findings, sampling
from wengang.oversight.errors import FindingInvalid
from wengang.oversight.models import AuditRecord, Method, Outcome
from wengang.payments import services
from wengang.payments.models import Receivable

pytestmark = pytest.mark.django_db

# The payment tests' world: people who pay, a fund, an exported batch of three cases.
fixed_today = payment_fixtures.fixed_today
people, run, make_case = payment_fixtures.people, payment_fixtures.run, payment_fixtures.make_case
paying_account, fund = payment_fixtures.paying_account, payment_fixtures.fund
exported = payment_fixtures.exported

CITY = "360100"


@pytest.fixture
def improper(people, exported):
    """The exported batch paid; all three cases sampled; an improper finding of 400.00 yuan on
    the 1,000.00 case, a confirmed one on another."""
    batch, cases, _ = exported
    services.apply_return(csv_return(batch, outcome_rows(batch)), name="r", actor=people.agency)
    supervisor = User.objects.create_user("supervisor", password=None, role=Role.SUPERVISOR,
                                          region_code=CITY)
    auditor = User.objects.create_user("auditor", password=None, role=Role.AUDITOR, region_code=CITY)
    plan = sampling.plan_spot_check(actor=supervisor, auditor=auditor, program="inclusive-2020",
                                    refund_year=2020, region_code=CITY, method=Method.SIMPLE,
                                    size=3, seed=1)
    item = plan.items.get(case=cases[0])
    other = plan.items.exclude(case=cases[0]).first()
    bad = findings.record_finding(auditor, item.pk, outcome=Outcome.IMPROPER, improper_fen=40_000,
                                  note="虚增参保人数")
    good = findings.record_finding(auditor, other.pk, outcome=Outcome.CONFIRMED, note="无误")
    return bad, good


def test_an_improper_finding_raises_a_receivable_once(people, improper):
    bad, _ = improper
    receivable = findings.raise_receivable_for(bad, actor=people.agency, due_on=date(2020, 6, 30))
    assert (receivable.source, receivable.amount_fen, receivable.case_id) == (
        Receivable.Source.AUDIT_FINDING, 40_000, bad.item.case_id)
    bad.refresh_from_db()
    assert bad.receivable == receivable
    with pytest.raises(FindingInvalid):
        findings.raise_receivable_for(bad, actor=people.agency, due_on=date(2020, 6, 30))
    assert Receivable.objects.count() == 1


def test_the_report_follows_findings_and_recovery(people, improper):
    bad, _ = improper
    plan = bad.item.plan
    before = findings.report(plan)
    assert (before.sampled, before.unchecked, before.confirmed, before.improper) == (3, 1, 1, 1)
    assert (before.improper_fen, before.receivables, before.claimed_fen) == (40_000, 0, 0)
    receivable = findings.raise_receivable_for(bad, actor=people.agency, due_on=date(2020, 6, 30))
    services.record_repayment(receivable, actor=people.agency, amount_fen=15_000, reference="缴款单 1")
    after = findings.report(plan)
    assert (after.receivables, after.claimed_fen, after.recovered_fen, after.outstanding_fen) == (
        1, 40_000, 15_000, 25_000)


def test_a_confirmed_finding_raises_nothing(people, improper):
    _, good = improper
    with pytest.raises(FindingInvalid):
        findings.raise_receivable_for(good, actor=people.agency, due_on=date(2020, 6, 30))
    assert not Receivable.objects.exists()


def test_the_bank_file_export_and_every_payment_event_are_chained(people, exported):
    batch, cases, _ = exported
    audit.absorb()
    export = AuditRecord.objects.get(source="payment_export")
    assert (export.action, export.target) == ("payment_batch.exported", f"payment_batch:{batch.pk}")
    assert batch.csv_sha256 in export.details
    paid_events = AuditRecord.objects.filter(action="case.payment_started")
    assert sorted(int(r.target.split(":")[1]) for r in paid_events) == sorted(c.pk for c in cases)
    assert audit.absorb() == 0 and audit.verify().ok
    assert Case.objects.count() == 3
