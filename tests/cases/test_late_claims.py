"""Late claims (补报) and service-officer tasks."""

from datetime import date

import pytest

from wengang.cases.errors import (
    CaseAlreadyExists,
    LateClaimWindowClosed,
    NothingToDo,
    NotOwnUnit,
    OutsideRegion,
    ReasonRequired,
    WrongRole,
)
from wengang.cases.late_claims import file_late_claim
from wengang.cases.models import (
    Case,
    ClosedReason,
    LateClaim,
    ServiceOfficerTask,
    State,
    WorkflowParameters,
)
from wengang.cases.service_officers import assign_service_task, complete_service_task
from wengang.core.clock import clock
from wengang.core.errors import IdentifierError

from .builders import make_uscc

pytestmark = pytest.mark.django_db


def claim(people, uscc, **options):
    values = {"uscc": uscc, "program": "inclusive-2020", "claimant_name": "赵六",
              "contact_phone": "13900000009", "actor": people.agency} | options
    return file_late_claim(**values)


def test_a_claim_for_a_unit_screening_missed_waits_for_the_next_run(people):
    uscc = make_uscc(501)
    waiting = claim(people, uscc, reason="新设立企业")
    assert (waiting.status, waiting.region_code, waiting.refund_year) == ("received", "360102", 2020)
    assert claim(people, uscc) == waiting  # the same claim, not a second one


def test_a_claim_reopens_a_declined_case(make_case, people):
    case = make_case(State.DECLINED, route="application",
                     closed_reason=ClosedReason.APPLICATION_EXPIRED)
    reopened = claim(people, case.unit.uscc)
    assert (reopened.status, reopened.case) == (LateClaim.Status.REOPENED, case)
    assert Case.objects.get(pk=case.pk).state == State.AWAITING_APPLICATION


def test_an_enterprise_claims_for_itself_only(make_case, people):
    case = make_case(State.DECLINED, closed_reason=ClosedReason.APPLICATION_EXPIRED)
    ent = people.enterprise_for(case)
    assert claim(people, case.unit.uscc, actor=ent).status == LateClaim.Status.REOPENED
    with pytest.raises(NotOwnUnit):
        claim(people, make_uscc(777), actor=ent)


def test_a_claim_for_a_unit_with_a_live_case_is_refused(make_case, people):
    case = make_case(State.APPLIED)
    with pytest.raises(CaseAlreadyExists):
        claim(people, case.unit.uscc)


def test_claims_close_with_the_window(people):
    with clock.frozen(date(2021, 1, 1)), pytest.raises(LateClaimWindowClosed):
        claim(people, make_uscc(502))
    WorkflowParameters.objects.create(region_code="360100", program="inclusive-2020",
                                      late_claim_until=date(2020, 4, 28))
    with pytest.raises(LateClaimWindowClosed):
        claim(people, make_uscc(503))


def test_a_claim_needs_a_valid_code_a_claimant_and_the_right_region(people):
    with pytest.raises(IdentifierError):
        claim(people, "91360102000000000X")
    with pytest.raises(ReasonRequired):
        claim(people, make_uscc(504), claimant_name="")
    with pytest.raises(OutsideRegion):
        claim(people, make_uscc(505), actor=people.other_agency)


def _task(make_case, run):
    case = make_case()
    return ServiceOfficerTask.objects.create(
        unit=case.unit, restructure_kind="merger", restructured_on=date(2019, 9, 1),
        created_at=case.created_at, run=run)


def test_an_officer_takes_and_closes_a_service_task(make_case, run, people):
    task = _task(make_case, run)
    task = assign_service_task(task, actor=people.agency, officer=people.county_agency)
    assert task.assigned_to == people.county_agency
    task = complete_service_task(task, actor=people.county_agency, note="合并后由存续企业申请，已告知")
    assert task.status == ServiceOfficerTask.Status.DONE and task.done_at is not None
    with pytest.raises(NothingToDo):
        complete_service_task(task, actor=people.county_agency, note="再次办结")


def test_service_tasks_are_for_officers_of_the_units_region(make_case, run, people):
    task = _task(make_case, run)
    with pytest.raises(WrongRole):
        complete_service_task(task, actor=people.auditor, note="x")
    with pytest.raises(OutsideRegion):
        complete_service_task(task, actor=people.other_agency, note="x")
    with pytest.raises(ReasonRequired):
        complete_service_task(task, actor=people.agency, note=" ")
