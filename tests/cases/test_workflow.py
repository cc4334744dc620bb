"""Each transition of the state machine, checked on state reloaded from the database."""

from datetime import date

import pytest

from wengang.cases import workflow
from wengang.cases.errors import (
    AccountRequired,
    ApplicationExpired,
    FactsChanged,
    ReasonRequired,
    ReviewPending,
)
from wengang.cases.models import (
    Action,
    Case,
    CaseEvent,
    Channel,
    ClosedReason,
    Commitment,
    HoldKind,
    PublicityBatch,
    PublicityItem,
    ReviewBatch,
    ReviewItem,
    ReviewTask,
    State,
)
from wengang.core.clock import CHINA

from .conftest import CITY, TODAY

pytestmark = pytest.mark.django_db


def reloaded(case: Case) -> Case:
    return Case.objects.select_related("unit").get(pk=case.pk)


def last_event(case: Case) -> CaseEvent:
    return CaseEvent.objects.filter(case=case).order_by("-id").first()


def confirmation(case: Case, **changes) -> workflow.Confirmation:
    values = {"size": case.size, "insured": case.insured, "amount_fen": case.amount_fen,
              "signatory_name": "李会计"} | changes
    return workflow.Confirmation(**values)


# --- notice --------------------------------------------------------------------------------

def test_notifying_an_automatic_case_needs_no_application(make_case, people):
    case = workflow.notify(make_case(), actor=people.agency)
    case = reloaded(case)
    assert case.state == State.NOTIFIED and case.apply_by is None
    event = last_event(case)
    assert (event.action, event.state_before, event.state_after) == ("notified", "screened", "notified")
    assert event.actor == people.agency and event.at.astimezone(CHINA).date() == TODAY


def test_notifying_an_application_case_sets_a_deadline_in_working_days(make_case, people):
    case = workflow.notify(make_case(route="application"), actor=None)
    case = reloaded(case)
    assert case.state == State.AWAITING_APPLICATION
    # 20 working days after 29 April 2020, across the May Day holiday (1–5 May) and the make-up
    # Saturday of 9 May: 30 Apr (1), 6–9 May (2–5), 11–15 (6–10), 18–22 (11–15), 25–29 (16–20).
    assert case.apply_by == date(2020, 5, 29)
    assert last_event(case).actor is None and last_event(case).channel == Channel.SYSTEM


def test_notify_many_moves_only_screened_cases_of_the_actors_region(make_case, people):
    auto, app = make_case(), make_case(route="application")
    elsewhere = make_case(region_code="360202")
    approved = make_case(State.APPROVED)
    assert workflow.notify_many(Case.objects.all(), actor=people.agency) == 2
    assert [reloaded(c).state for c in (auto, app, elsewhere, approved)] == [
        State.NOTIFIED, State.AWAITING_APPLICATION, State.SCREENED, State.APPROVED]


# --- application ---------------------------------------------------------------------------

def test_an_enterprise_applies_online_with_the_commitment(make_case, people, commitment_text):
    case = make_case(State.AWAITING_APPLICATION, route="application")
    ent = people.enterprise_for(case)
    case = workflow.apply(case, actor=ent, confirmation=confirmation(case),
                          commitment_text=commitment_text, origin="10.1.2.3")
    assert reloaded(case).state == State.APPLIED
    commitment = Commitment.objects.get(case=case)
    assert (commitment.channel, commitment.origin, commitment.accepted_by) == ("online", "10.1.2.3", ent)
    assert commitment.text.version == "2020-1" and commitment.account_masked == "****2222"
    assert last_event(case).data["commitment_id"] == commitment.pk


def test_an_officer_records_an_assisted_application_after_reading_the_commitment_out(
        make_case, people, commitment_text):
    case = make_case(State.AWAITING_APPLICATION, route="application")
    case = workflow.apply(case, actor=people.agency, confirmation=confirmation(case),
                          commitment_text=commitment_text, origin="电话 0791-8888",
                          channel=Channel.ASSISTED, read_out=True)
    assert reloaded(case).state == State.APPLIED
    assert Commitment.objects.get(case=case).read_out
    assert last_event(case).channel == Channel.ASSISTED


def test_an_assisted_application_without_reading_out_is_refused(make_case, people, commitment_text):
    case = make_case(State.AWAITING_APPLICATION, route="application")
    with pytest.raises(ReasonRequired):
        workflow.apply(case, actor=people.agency, confirmation=confirmation(case),
                       commitment_text=commitment_text, origin="窗口", channel=Channel.ASSISTED)
    assert reloaded(case).state == State.AWAITING_APPLICATION


def test_an_application_after_the_deadline_is_refused(make_case, people, commitment_text):
    case = make_case(State.AWAITING_APPLICATION, route="application", apply_by=date(2020, 4, 28))
    with pytest.raises(ApplicationExpired) as raised:
        workflow.apply(case, actor=people.enterprise_for(case), confirmation=confirmation(case),
                       commitment_text=commitment_text, origin="10.0.0.1")
    assert raised.value.code == "application_expired"


def test_confirming_an_amount_the_case_no_longer_has_is_refused(make_case, people, commitment_text):
    case = make_case(State.AWAITING_APPLICATION, route="application")
    with pytest.raises(FactsChanged):
        workflow.apply(case, actor=people.enterprise_for(case),
                       confirmation=confirmation(case, amount_fen=case.amount_fen + 1),
                       commitment_text=commitment_text, origin="10.0.0.1")


def test_a_unit_without_an_account_must_give_one(make_case, people, commitment_text):
    case = make_case(State.AWAITING_APPLICATION, route="application", bank_account="")
    ent = people.enterprise_for(case)
    with pytest.raises(AccountRequired):
        workflow.apply(case, actor=ent, confirmation=confirmation(case),
                       commitment_text=commitment_text, origin="10.0.0.1")
    workflow.apply(case, actor=ent, confirmation=confirmation(case, account="6217001234567890"),
                   commitment_text=commitment_text, origin="10.0.0.1")
    commitment = Commitment.objects.get(case=case)
    assert commitment.account_number() == "6217001234567890"
    assert reloaded(case).account_number() == "6217001234567890"


def test_an_enterprise_declines(make_case, people):
    case = make_case(State.AWAITING_APPLICATION, route="application")
    workflow.decline(case, actor=people.enterprise_for(case), reason="不需要")
    case = reloaded(case)
    assert (case.state, case.closed_reason) == (State.DECLINED, ClosedReason.ENTERPRISE_DECLINED)


def test_applications_past_their_deadline_expire_to_declined(make_case):
    late = make_case(State.AWAITING_APPLICATION, route="application", apply_by=date(2020, 4, 28))
    due_today = make_case(State.AWAITING_APPLICATION, route="application", apply_by=TODAY)
    assert workflow.expire_applications() == 1
    assert reloaded(late).state == State.DECLINED
    assert reloaded(late).closed_reason == ClosedReason.APPLICATION_EXPIRED
    assert reloaded(due_today).state == State.AWAITING_APPLICATION  # the deadline day counts
    assert last_event(late).action == Action.EXPIRED and last_event(late).actor_label == "到期处理"


def test_a_declined_case_reopens_on_a_late_claim_with_a_new_deadline(make_case, people):
    case = make_case(State.DECLINED, route="application",
                     closed_reason=ClosedReason.APPLICATION_EXPIRED)
    workflow.reopen_for_late_claim(case, actor=people.agency, reason="补报")
    case = reloaded(case)
    assert case.state == State.AWAITING_APPLICATION and case.closed_reason == ""
    assert case.apply_by == date(2020, 5, 29)


def test_an_enterprise_withdraws_before_review(make_case, people):
    case = make_case(State.APPLIED, route="application")
    workflow.withdraw(case, actor=people.enterprise_for(case), reason="信息有误，撤回")
    assert reloaded(case).closed_reason == ClosedReason.ENTERPRISE_WITHDREW


def test_the_agency_withdraws_a_payable_case(make_case, people):
    case = make_case(State.PAYABLE)
    workflow.withdraw(case, actor=people.agency, reason="核查发现虚报")
    case = reloaded(case)
    assert (case.state, case.closed_reason) == (State.WITHDRAWN, ClosedReason.AGENCY_WITHDREW)


def test_withdrawing_needs_a_reason(make_case, people):
    with pytest.raises(ReasonRequired):
        workflow.withdraw(make_case(), actor=people.agency, reason=" ")


# --- review --------------------------------------------------------------------------------

def test_start_review_takes_ready_cases_and_skips_the_others(make_case, people):
    ready = [make_case(), make_case(State.NOTIFIED), make_case(State.APPLIED, route="application"),
             make_case(State.RETURNED)]
    not_ready = [make_case(route="application"), make_case(State.APPROVED)]
    moved = workflow.start_review_many([c.pk for c in ready + not_ready], actor=people.agency,
                                       channel=Channel.CONSOLE, request_id="r1", batch_id=1)
    assert sorted(moved) == sorted(c.pk for c in ready)
    assert {reloaded(c).state for c in ready} == {State.IN_REVIEW}
    assert [reloaded(c).state for c in not_ready] == [State.SCREENED, State.APPROVED]
    assert last_event(ready[0]).request_id == "r1"


def test_the_agency_approves_a_case_in_review(make_case, people):
    case = workflow.approve(make_case(State.IN_REVIEW), actor=people.agency, reason="经办审核")
    case = reloaded(case)
    assert case.state == State.APPROVED and case.approved_on == TODAY


def test_approval_waits_for_every_department(make_case, people):
    case = make_case(State.IN_REVIEW)
    batch = ReviewBatch.objects.create(region_code=CITY, program=case.program, departments=["tax"],
                                       opened_on=TODAY, due_on=TODAY, opened_by=people.agency,
                                       opened_at=case.created_at)
    ReviewItem.objects.create(batch=batch, case=case)
    ReviewTask.objects.create(batch=batch, department="tax", due_on=TODAY)
    with pytest.raises(ReviewPending) as raised:
        workflow.approve(case, actor=people.agency)
    assert "税务" in raised.value.zh


def test_settling_approves_agreed_cases_and_returns_objected_ones(make_case, people):
    agreed, objected = make_case(State.IN_REVIEW), make_case(State.IN_REVIEW)
    approved, returned = workflow.settle_many(
        approve_ids=[agreed.pk], return_reasons={objected.pk: "税务：欠税"}, reject=False,
        actor=people.reviewers["tax"], channel=Channel.CONSOLE, request_id="", today=TODAY)
    assert (approved, returned) == ([agreed.pk], [objected.pk])
    assert reloaded(agreed).state == State.APPROVED
    assert reloaded(objected).state == State.RETURNED
    assert last_event(objected).reason == "税务：欠税"


def test_settling_can_reject_objected_cases_outright(make_case, people):
    objected = make_case(State.IN_REVIEW)
    workflow.settle_many(approve_ids=[], return_reasons={objected.pk: "市场监管：已注销"},
                         reject=True, actor=people.reviewers["market"], channel=Channel.CONSOLE,
                         request_id="", today=TODAY)
    assert reloaded(objected).closed_reason == ClosedReason.REVIEW_OBJECTION


def test_the_agency_rejects_a_returned_case_with_a_reason(make_case, people):
    case = workflow.reject(make_case(State.RETURNED), actor=people.agency, reason="核实有欠税")
    case = reloaded(case)
    assert (case.state, case.closed_reason) == (State.REJECTED, ClosedReason.AGENCY_REJECTED)


# --- publicity, holds ----------------------------------------------------------------------

def _publicity(people, case, *, start_on=TODAY, end_on=date(2020, 5, 8), status="open"):
    batch = PublicityBatch.objects.create(region_code=CITY, start_on=start_on, end_on=end_on,
                                          workdays=5, opened_by=people.agency,
                                          opened_at=case.created_at, status=status)
    PublicityItem.objects.create(batch=batch, case=case)
    return batch


def test_publicity_starts_for_approved_cases_only(make_case, people):
    approved, other = make_case(State.APPROVED), make_case(State.IN_REVIEW)
    batch = _publicity(people, approved)
    moved = workflow.start_publicity_many([approved.pk, other.pk], actor=people.agency,
                                          batch=batch, channel=Channel.CONSOLE, request_id="")
    assert moved == [approved.pk] and reloaded(other).state == State.IN_REVIEW


def test_a_public_objection_holds_a_published_case(make_case, people):
    case = make_case(State.IN_PUBLICITY)
    workflow.hold_for_objection(case, actor=None, objector_label="公众：王某", reason="实际已停业",
                                channel=Channel.PUBLIC)
    case = reloaded(case)
    assert (case.state, case.held_from, case.hold_kind) == (State.ON_HOLD, State.IN_PUBLICITY,
                                                            HoldKind.OBJECTION)
    assert last_event(case).actor_label == "公众：王某"


def test_a_risk_hold_returns_the_case_where_it_was(make_case, people):
    case = workflow.hold(make_case(State.APPLIED, route="application"), actor=people.agency,
                         reason="共用银行账户")
    assert reloaded(case).held_from == State.APPLIED
    case = workflow.release(case, actor=people.agency, reason="核查无误")
    case = reloaded(case)
    assert (case.state, case.held_from, case.hold_kind) == (State.APPLIED, "", "")


def test_released_after_the_publicity_period_a_case_becomes_payable(make_case, people):
    case = make_case(State.ON_HOLD, held_from=State.IN_PUBLICITY)
    _publicity(people, case, start_on=date(2020, 4, 21), end_on=date(2020, 4, 28))
    workflow.release(case, actor=people.agency, reason="核查无误")
    case = reloaded(case)
    assert (case.state, case.payable_on) == (State.PAYABLE, TODAY)


def test_released_after_its_review_batch_settled_a_case_goes_back_to_the_agency(make_case, people):
    case = make_case(State.ON_HOLD, held_from=State.IN_REVIEW)
    batch = ReviewBatch.objects.create(region_code=CITY, program=case.program, opened_on=TODAY,
                                       due_on=TODAY, opened_by=people.agency,
                                       opened_at=case.created_at, status="settled")
    ReviewItem.objects.create(batch=batch, case=case)
    workflow.release(case, actor=people.agency, reason="核查无误")
    assert reloaded(case).state == State.RETURNED


def test_publicity_over_without_objection_makes_cases_payable(make_case, people):
    case = make_case(State.IN_PUBLICITY)
    batch = _publicity(people, case)
    moved = workflow.make_payable_many([case.pk], actor=people.agency, batch=batch,
                                       channel=Channel.CONSOLE, request_id="", today=TODAY)
    assert moved == [case.pk]
    assert (reloaded(case).state, reloaded(case).payable_on) == (State.PAYABLE, TODAY)


def test_an_upheld_objection_rejects_the_held_case(make_case, people):
    case = make_case(State.ON_HOLD, held_from=State.IN_PUBLICITY, hold_kind=HoldKind.OBJECTION)
    workflow.reject_on_objection(case, actor=people.agency, reason="异议成立", channel=Channel.CONSOLE)
    assert reloaded(case).closed_reason == ClosedReason.PUBLIC_OBJECTION


# --- re-screening --------------------------------------------------------------------------

def test_a_rescreen_withdraws_unapproved_ineligible_cases_and_reopens_eligible_ones(make_case, run):
    gone = make_case(State.APPLIED, route="application")
    back = make_case(State.WITHDRAWN, closed_reason=ClosedReason.RESCREEN_INELIGIBLE)
    Case.objects.filter(pk=gone.pk).update(eligible=False)
    assert workflow.withdraw_ineligible(run_id=run.pk) == 1
    assert workflow.reopen_eligible(run_id=run.pk) == 1
    gone, back = reloaded(gone), reloaded(back)
    assert (gone.state, gone.closed_reason) == (State.WITHDRAWN, ClosedReason.RESCREEN_INELIGIBLE)
    assert (back.state, back.closed_reason) == (State.SCREENED, "")
    assert last_event(back).action == Action.RESCREEN_REOPENED and last_event(back).run == run


def test_every_transition_bumps_the_version_and_writes_one_event(make_case, people):
    case = make_case()
    for step in (lambda c: workflow.notify(c, actor=people.agency),
                 lambda c: workflow.hold(c, actor=people.agency, reason="核查"),
                 lambda c: workflow.release(c, actor=people.agency, reason="无误")):
        before = case.version
        case = step(case)
        assert case.version == before + 1
    assert CaseEvent.objects.filter(case=case).count() == 3
