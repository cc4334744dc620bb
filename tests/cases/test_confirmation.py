"""An enterprise confirms other facts than screening found: the refund is decided again.

Real screening end to end: the feeds are screened by ``wengang.screening``, the result loaded,
the cases noticed; a confirmation with another size or headcount is screened again, with the
same policy and data, on the server.
"""

import shutil
from datetime import date
from decimal import Decimal

import pytest

from wengang.cases import workflow
from wengang.cases.errors import (
    ConfirmationIneligible,
    FactsChanged,
    InputsChanged,
    RunRecordError,
)
from wengang.cases.loading import load_screening
from wengang.cases.models import Action, Case, CaseEvent, Commitment, RescreenFlag, State
from wengang.core.clock import clock
from wengang.screening import folder_source, screen

from .builders import UnitRow, write_feeds

pytestmark = pytest.mark.django_db

UNKNOWN_SIZE = UnitRow(1, insured=1200)  # no tax data: size undecided → large ratio 50%
SME = UnitRow(2, insured=200, is_labour_dispatch=True)  # baseline 200, SME ratio 100%
DIFFICULT = UnitRow(3, certified=True)  # 12 insured: 6 × 1,585 yuan × 12


def screen_and_load(folder, result_name="r.csv"):
    run = screen(folder_source(folder), programs=["inclusive-2020", "difficult-2020"],
                 as_of=date(2020, 4, 15), region_code="360100")
    run.write(folder.parent / result_name)
    return load_screening(folder.parent / result_name)


@pytest.fixture
def feeds(tmp_path):
    return write_feeds(tmp_path / "feeds", [UNKNOWN_SIZE, SME, DIFFICULT])


@pytest.fixture
def cases(feeds, people):
    screen_and_load(feeds)
    workflow.notify_many(Case.objects.all(), actor=people.agency)
    return {c.unit.uscc: c for c in Case.objects.select_related("unit", "screening_run")}


def confirm(case, people, commitment_text, *, size=None, insured=None, amount_fen=None):
    size = size or case.size
    insured = case.insured if insured is None else insured
    if amount_fen is None:
        decision = workflow.confirmed_decision(case, size=size, insured=insured)
        amount_fen = case.amount_fen if decision is None else decision.amount_fen
    return workflow.apply(case, actor=people.enterprise_for(case), origin="10.0.0.1",
                          commitment_text=commitment_text,
                          confirmation=workflow.Confirmation(size=size, insured=insured,
                                                             amount_fen=amount_fen,
                                                             signatory_name="李会计"))


def unchanged(case) -> bool:
    now = Case.objects.get(pk=case.pk)
    return ((now.state, now.version, now.amount_fen) == (State.AWAITING_APPLICATION,
                                                         case.version, case.amount_fen)
            and not Commitment.objects.filter(case=case).exists())


def test_a_case_carries_the_year_end_headcount_screening_read(cases):
    assert [cases[u.uscc].insured for u in (UNKNOWN_SIZE, SME, DIFFICULT)] == [1200, 200, 12]


def test_confirming_the_screened_facts_screens_nothing_again(cases, people, commitment_text):
    case = cases[UNKNOWN_SIZE.uscc]
    assert workflow.confirmed_decision(case, size="unknown", insured=1200) is None
    applied = confirm(case, people, commitment_text)
    assert (applied.state, applied.amount_fen) == (State.APPLIED, 300_000)
    assert CaseEvent.objects.get(case=case, action=Action.APPLIED).amount_after_fen == 300_000


def test_an_sme_confirmed_in_place_of_an_unknown_size_gets_the_sme_ratio(
        cases, people, commitment_text):
    case = cases[UNKNOWN_SIZE.uscc]
    assert (case.size, case.amount_fen) == ("unknown", 300_000)
    decision = workflow.confirmed_decision(case, size="medium", insured=1200)
    assert (decision.eligible, decision.amount_fen) == (True, 600_000)
    applied = confirm(case, people, commitment_text, size="medium")
    assert (applied.state, applied.size, applied.amount_fen) == (State.APPLIED, "medium", 600_000)
    assert "× 返还比例 100%" in applied.explanation
    event = CaseEvent.objects.get(case=case, action=Action.APPLIED)
    assert (event.amount_before_fen, event.amount_after_fen) == (300_000, 600_000)
    assert event.data["screened"]["size"] == "unknown" and "重新测算" in event.reason
    assert Commitment.objects.get(case=case).confirmed_amount_fen == 600_000


def test_a_large_firm_confirmed_keeps_the_large_ratio(cases, people, commitment_text):
    applied = confirm(cases[SME.uscc], people, commitment_text, size="large")
    assert (applied.size, applied.amount_fen) == ("large", 300_000)


def test_the_amount_signed_must_be_the_recomputed_one(cases, people, commitment_text):
    case = cases[UNKNOWN_SIZE.uscc]
    with pytest.raises(FactsChanged) as raised:
        confirm(case, people, commitment_text, size="medium", amount_fen=300_000)
    assert raised.value.current == 600_000
    assert unchanged(case)


@pytest.mark.parametrize(("insured", "rate"), [
    (190, Decimal("0.0500")),  # just below the 5.5% ceiling
    (189, Decimal("0.0550")),  # at the ceiling: still eligible (rate ≤ ceiling)
])
def test_a_lower_headcount_within_the_layoff_ceiling_is_accepted(cases, people, commitment_text,
                                                                 insured, rate):
    applied = confirm(cases[SME.uscc], people, commitment_text, insured=insured)
    assert (applied.state, applied.insured, applied.layoff_rate) == (State.APPLIED, insured, rate)
    assert applied.amount_fen == 600_000  # the headcount does not change an inclusive amount


def test_a_headcount_above_the_layoff_ceiling_is_refused(cases, people, commitment_text):
    case = cases[SME.uscc]
    with pytest.raises(ConfirmationIneligible) as raised:
        confirm(case, people, commitment_text, insured=188, amount_fen=600_000)  # 6.0%
    assert raised.value.failed == "layoff_rate" and "6.00%" in raised.value.zh
    assert raised.value.code == "confirmation_ineligible"
    assert unchanged(case)


@pytest.mark.parametrize(("insured", "amount_fen"), [(13, 12_363_000), (11, 10_461_000)])
def test_a_difficult_enterprises_refund_follows_the_confirmed_headcount(
        cases, people, commitment_text, insured, amount_fen):
    case = cases[DIFFICULT.uscc]
    assert (case.program, case.amount_fen) == ("difficult-2020", 11_412_000)
    applied = confirm(case, people, commitment_text, insured=insured)
    assert (applied.insured, applied.amount_fen) == (insured, amount_fen)


def test_a_changed_policy_file_stops_a_recomputation(cases, people, commitment_text):
    case = cases[UNKNOWN_SIZE.uscc]
    run = case.screening_run
    run.record["programs"]["inclusive-2020"]["policy_sha256"] = "0" * 64
    run.save()
    with pytest.raises(RunRecordError):
        confirm(case, people, commitment_text, size="medium", amount_fen=600_000)
    assert unchanged(case)


def test_missing_feeds_stop_a_recomputation(cases, feeds, people, commitment_text):
    case = cases[UNKNOWN_SIZE.uscc]
    shutil.rmtree(feeds)
    with pytest.raises(InputsChanged):
        confirm(case, people, commitment_text, size="medium", amount_fen=600_000)
    assert unchanged(case)


def test_a_rescreen_flags_a_confirmed_case_instead_of_undoing_the_confirmation(
        cases, feeds, people, commitment_text):
    case = confirm(cases[UNKNOWN_SIZE.uscc], people, commitment_text, size="medium")
    with clock.frozen(date(2020, 5, 6)):
        summary = screen_and_load(feeds, "r2.csv")
    assert summary.updated == 0
    kept = Case.objects.get(pk=case.pk)
    assert (kept.size, kept.amount_fen, kept.version) == ("medium", 600_000, case.version)
    flag = RescreenFlag.objects.get(case=case)
    assert (flag.amount_before_fen, flag.amount_after_fen) == (600_000, 300_000)


def test_person_feeds_beside_the_unit_feeds_do_not_stop_a_recomputation(
        tmp_path, people, commitment_text):
    """A city's feed folder may also hold the skills-training feeds (keyed by person, not by
    unit): screening one unit again copies only the unit feeds."""
    from tests.feeds.builders import write_feed
    from tests.training.builder import person_id

    folder = write_feeds(tmp_path / "feeds", [UNKNOWN_SIZE])
    write_feed(folder / "trainees.csv", [{
        "resident_id": person_id("A"), "name": "学员甲", "phone": "13700137000",
        "region_code": "360102", "insured": "true", "insured_months": "36",
        "si_card_account": ""}])
    screen_and_load(folder)
    case = Case.objects.get()
    workflow.notify_many(Case.objects.all(), actor=people.agency)
    case.refresh_from_db()
    decision = workflow.confirmed_decision(case, size="small", insured=1200)
    assert decision is not None and decision.amount_fen > case.amount_fen
