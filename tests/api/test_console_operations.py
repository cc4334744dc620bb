"""The console's operations through the API: budgets and batch steps, account changes,
receivables and write-offs, case holds and bulk actions, service tasks, oversight and the KPIs.

Each operation: the allowed role succeeds through a token, other roles and regions are refused,
a bad request is answered 4xx with a bilingual body and changes nothing, and money operations
leave the ledger balanced (``payments.services.check_ledger``).
"""

from datetime import date

import pytest
from django.test import Client

from tests.payments.returns import csv_return, outcome_rows
from wengang.cases.models import Case, CaseEvent, ServiceOfficerTask, State
from wengang.core.clock import clock
from wengang.oversight.models import Finding, RiskHold, SamplePlan
from wengang.payments import services
from wengang.payments.models import (
    AccountChange,
    Budget,
    LedgerEntry,
    PaymentBatch,
    Receivable,
    WriteOffProposal,
)

from .conftest import World, bearer

pytestmark = pytest.mark.django_db
CITY = "360100"
PROGRAM = "inclusive-2020"


@pytest.fixture(autouse=True)
def bank_file_dir(settings, tmp_path):
    settings.WENGANG_BANK_FILE_DIR = tmp_path / "bankfiles"


@pytest.fixture
def as_(world: World, token_for):
    """``as_("finance").post(path, json)``: a client calling with that user's token."""
    class Caller:
        def __init__(self, actor: str) -> None:
            self.headers = bearer(token_for(world.users[actor]))

        def get(self, path: str):
            return Client().get(path, headers=self.headers)

        def post(self, path: str, body: dict | None = None):
            return Client().post(path, body or {}, content_type="application/json",
                                 headers=self.headers)
    return Caller


@pytest.fixture
def payable(world: World, make_case) -> list[Case]:
    """Two payable cases of the city (1,000.00 and 2,500.50 yuan)."""
    return [make_case(State.PAYABLE, route="automatic", amount_fen=fen)
            for fen in (100_000, 250_050)]


def refused(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["message_zh"] and body["message_en"], body
    if code:
        assert body["code"] == code, body
    return body


def balanced(budget_id: int) -> bool:
    return services.check_ledger(Budget.objects.get(pk=budget_id)).balanced


# --- budgets and batches ---------------------------------------------------------------------

def test_finance_allots_payers_build_finance_approves_and_a_payer_exports(world, payable, as_):
    finance, agency = as_("finance"), as_("agency")
    allotted = finance.post("/api/payments/budgets", {"program": PROGRAM, "year": 2020,
                                                      "amount_fen": 1_000_000, "note": "文号1"})
    assert allotted.status_code == 200, allotted.content
    assert allotted.json()["available_fen"] == 1_000_000
    assert allotted.json()["available_yuan"] == "10000.00"
    listed = as_("auditor").get("/api/payments/budgets").json()
    assert [b["available_fen"] for b in listed["items"]] == [1_000_000]

    built = agency.post("/api/payments/batches", {"program": PROGRAM})
    assert built.status_code == 200, built.content
    (batch,) = built.json()["batches"]
    assert (batch["status"], batch["payment_count"], batch["total_fen"]) == ("draft", 2, 350_050)
    assert built.json()["without_account"] == []

    refused(agency.post(f"/api/payments/batches/{batch['id']}/approval"), 403, "wrong_role")
    refused(agency.post(f"/api/payments/batches/{batch['id']}/export"), 409, "batch_state")
    approved = finance.post(f"/api/payments/batches/{batch['id']}/approval")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    budget = Budget.objects.get(region_code=CITY, program=PROGRAM, year=2020)
    assert (budget.available_fen, budget.reserved_fen) == (1_000_000 - 350_050, 350_050)

    exported = agency.post(f"/api/payments/batches/{batch['id']}/export")
    assert exported.status_code == 200, exported.content
    body = exported.json()
    assert (body["status"], body["count"], body["exported_total_fen"]) == ("exported", 2, 350_050)
    assert body["csv_sha256"] == PaymentBatch.objects.get(pk=batch["id"]).csv_sha256
    again = agency.post(f"/api/payments/batches/{batch['id']}/export")  # the same bytes
    assert again.status_code == 200 and again.json()["csv_sha256"] == body["csv_sha256"]
    assert balanced(budget.pk)


@pytest.mark.parametrize("amount_fen", [0, -1, 10**14 + 1])
def test_a_bad_amount_allots_nothing(world, as_, amount_fen):
    entries = LedgerEntry.objects.count()
    body = refused(as_("finance").post("/api/payments/budgets", {
        "program": PROGRAM, "year": 2020, "amount_fen": amount_fen}), 422, "invalid_request")
    assert body["detail"]
    assert LedgerEntry.objects.count() == entries
    assert Budget.objects.get(region_code=CITY, program=PROGRAM).allocated_fen == 0


@pytest.mark.parametrize("amount_fen", [1, 10**14])
def test_the_smallest_and_largest_amounts_are_allotted(world, as_, amount_fen):
    response = as_("finance").post("/api/payments/budgets", {"program": PROGRAM, "year": 2020,
                                                             "amount_fen": amount_fen})
    assert response.status_code == 200, response.content
    assert response.json()["allocated_fen"] == amount_fen
    assert balanced(response.json()["id"])


def test_a_budget_for_another_year_or_by_another_role_is_refused(world, as_):
    refused(as_("finance").post("/api/payments/budgets", {"program": PROGRAM, "year": 2021,
                                                          "amount_fen": 100}), 400, "budget_key")
    refused(as_("agency").post("/api/payments/budgets", {"program": PROGRAM, "year": 2020,
                                                         "amount_fen": 100}), 403, "wrong_role")
    assert not LedgerEntry.objects.exists()


def test_approval_beyond_the_budget_is_refused_with_the_shortfall(world, payable, as_):
    services.allocate(region_code=CITY, program=PROGRAM, year=2020, amount_fen=350_049,
                      actor=world.users["finance"])
    batch = services.build_batches(actor=world.users["agency"], region_code=CITY,
                                   program=PROGRAM).batches[0]
    body = refused(as_("finance").post(f"/api/payments/batches/{batch.pk}/approval"), 409,
                   "budget_exceeded")
    assert "0.01" in body["message_zh"]
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.DRAFT
    assert Budget.objects.get(pk=batch.budget_id).reserved_fen == 0


def test_cancelling_needs_a_reason_and_puts_the_cases_back(world, payable, as_):
    services.allocate(region_code=CITY, program=PROGRAM, year=2020, amount_fen=1_000_000,
                      actor=world.users["finance"])
    batch = services.build_batches(actor=world.users["agency"], region_code=CITY,
                                   program=PROGRAM).batches[0]
    url = f"/api/payments/batches/{batch.pk}/cancellation"
    for reason in ("", "   "):
        refused(as_("agency").post(url, {"reason": reason}), 422, "invalid_request")
    refused(as_("other_agency").post(url, {"reason": "重复"}), 404, "not_found")
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.DRAFT
    cancelled = as_("finance").post(url, {"reason": "重复建批"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert {c.state for c in Case.objects.filter(pk__in=[c.pk for c in payable])} == {
        State.PAYABLE}
    assert balanced(batch.budget_id)


# --- account changes, receivables, write-offs ------------------------------------------------

@pytest.fixture
def change(world) -> AccountChange:
    """The enterprise asked on 30 April 2020 for a new account (cooling-off to 8 May)."""
    unit = world.own_case.unit
    return services.request_account_change(unit, actor=world.users["enterprise"],
                                           account_number="6222000099998888",
                                           bank_name="中国银行", holder_name=unit.name)


def test_an_account_change_is_verified_after_its_cooling_off_by_an_officer(world, change, as_):
    url = f"/api/payments/account-changes/{change.pk}/decision"
    listed = as_("finance").get("/api/payments/account-changes?status=pending")
    assert [c["id"] for c in listed.json()["items"]] == [change.pk]
    assert "6222000099998888" not in listed.content.decode()
    assert listed.json()["items"][0]["account_masked"] == change.account_masked
    early = refused(as_("agency").post(url, {"outcome": "approve", "note": "已电话核实"}), 400,
                    "account_change_refused")
    assert str(change.verifiable_from) in early["message_zh"]
    refused(as_("agency").post(url, {"outcome": "approve", "note": " "}), 422)
    refused(as_("finance").post(url, {"outcome": "approve", "note": "x"}), 403, "wrong_role")
    refused(as_("other_agency").post(url, {"outcome": "approve", "note": "x"}), 404)
    change.refresh_from_db()
    assert change.status == AccountChange.Status.PENDING
    with clock.frozen(change.verifiable_from):
        done = as_("agency").post(url, {"outcome": "approve", "note": "已电话核实"})
    assert done.status_code == 200, done.content
    assert (done.json()["status"], done.json()["decided_by"]) == ("approved", "officer")


@pytest.fixture
def owed(world, payable, settings) -> Receivable:
    """Both cases paid; 600.00 yuan claimed back from the first."""
    users = world.users
    services.allocate(region_code=CITY, program=PROGRAM, year=2020, amount_fen=1_000_000,
                      actor=users["finance"])
    batch = services.build_batches(actor=users["agency"], region_code=CITY,
                                   program=PROGRAM).batches[0]
    services.approve_batch(batch, actor=users["finance"])
    exported = services.export_batch(batch, actor=users["agency"],
                                     out_dir=settings.WENGANG_BANK_FILE_DIR).batch
    services.apply_return(csv_return(exported, outcome_rows(exported)), name="r.csv",
                          actor=users["finance"])
    return services.raise_receivable(payable[0], actor=users["agency"],
                                     source=Receivable.Source.AUDIT_FINDING, amount_fen=60_000,
                                     reason="参保人数虚报", due_on=date(2020, 6, 30))


def test_a_repayment_is_recorded_up_to_what_is_owed(world, owed, as_):
    url = f"/api/payments/receivables/{owed.pk}/repayments"
    listed = as_("auditor").get("/api/payments/receivables").json()["items"]
    assert [(r["id"], r["outstanding_fen"]) for r in listed] == [(owed.pk, 60_000)]
    over = refused(as_("agency").post(url, {"amount_fen": 60_001, "reference": "缴款单001"}), 400)
    assert "600.00" in over["message_zh"]
    refused(as_("agency").post(url, {"amount_fen": 1, "reference": ""}), 422)
    refused(as_("finance").post(url, {"amount_fen": 1, "reference": "x"}), 403, "wrong_role")
    refused(as_("other_agency").post(url, {"amount_fen": 1, "reference": "x"}), 404)
    owed.refresh_from_db()
    assert owed.outstanding_fen == 60_000
    part = as_("agency").post(url, {"amount_fen": 59_999, "reference": "缴款单001"})
    assert part.status_code == 200 and part.json()["receivable"]["outstanding_fen"] == 1
    rest = as_("agency").post(url, {"amount_fen": 1, "reference": "缴款单002"})
    assert rest.status_code == 200 and rest.json()["receivable"]["outstanding_fen"] == 0
    assert balanced(owed.budget_id)


def test_a_write_off_is_proposed_by_an_officer_and_decided_by_finance(world, owed, as_):
    propose = f"/api/payments/receivables/{owed.pk}/write-off-proposals"
    refused(as_("agency").post(propose, {"amount_fen": 60_001, "reason": "单位已注销"}), 400)
    refused(as_("finance").post(propose, {"amount_fen": 1, "reason": "x"}), 403, "wrong_role")
    assert not WriteOffProposal.objects.exists()
    proposed = as_("agency").post(propose, {"amount_fen": 60_000, "reason": "单位已注销"})
    assert proposed.status_code == 200 and proposed.json()["status"] == "pending"
    decide = f"/api/payments/write-offs/{proposed.json()['id']}/decision"
    refused(as_("agency").post(decide, {"outcome": "approve"}), 403, "wrong_role")
    refused(as_("finance").post(decide, {"outcome": "reject", "note": ""}), 409,
            "reason_required")
    listed = as_("supervisor").get("/api/payments/write-offs?status=pending").json()["items"]
    assert [p["id"] for p in listed] == [proposed.json()["id"]]
    done = as_("finance").post(decide, {"outcome": "approve", "note": "同意"})
    assert done.status_code == 200 and done.json()["status"] == "approved"
    assert done.json()["decided_by"] == "finance"
    owed.refresh_from_db()
    assert owed.outstanding_fen == 0
    assert Budget.objects.get(pk=owed.budget_id).written_off_fen == 60_000
    assert balanced(owed.budget_id)


# --- case actions ------------------------------------------------------------------------------

def test_an_officer_holds_and_releases_a_case_with_a_reason(world, as_):
    case = world.published_case
    events = CaseEvent.objects.count()
    refused(as_("agency").post(f"/api/cases/{case.pk}/hold", {"reason": "  "}), 422)
    refused(as_("finance").post(f"/api/cases/{case.pk}/hold", {"reason": "x"}), 403)
    refused(as_("other_agency").post(f"/api/cases/{case.pk}/hold", {"reason": "x"}), 404)
    assert CaseEvent.objects.count() == events
    held = as_("agency").post(f"/api/cases/{case.pk}/hold", {"reason": "风险核查"})
    assert held.status_code == 200 and held.json()["state"] == State.ON_HOLD
    assert held.json()["events"][-1]["channel"] == "api"
    released = as_("supervisor").post(f"/api/cases/{case.pk}/release", {"reason": "核查无误"})
    assert released.status_code == 200 and released.json()["state"] == State.IN_PUBLICITY
    refused(as_("agency").post(f"/api/cases/{case.pk}/release", {"reason": "x"}), 409,
            "illegal_transition")


def test_an_officer_withdraws_a_case(world, as_):
    case = world.own_case
    done = as_("agency").post(f"/api/cases/{case.pk}/withdrawal", {"reason": "单位申请撤回"})
    assert done.status_code == 200 and done.json()["state"] == State.WITHDRAWN
    refused(as_("agency").post(f"/api/cases/{case.pk}/withdrawal", {"reason": "再次"}), 409)


def test_a_bulk_hold_acts_on_each_case_and_reports_the_refused(world, make_case, as_):
    fresh = make_case(State.AWAITING_APPLICATION)
    held_already = make_case(State.ON_HOLD, held_from=State.SCREENED, hold_kind="risk")
    body = {"action": "hold", "case_ids": [fresh.pk, held_already.pk], "reason": "批量核查"}
    done = as_("agency").post("/api/bulk/cases", body)
    assert done.status_code == 200, done.content
    assert (done.json()["selected"], done.json()["done"]) == (2, 1)
    assert [r["case_ids"] for r in done.json()["refused"]] == [[held_already.pk]]
    fresh.refresh_from_db()
    assert fresh.state == State.ON_HOLD


def test_a_bulk_action_naming_a_case_outside_the_region_does_nothing(world, as_):
    events = CaseEvent.objects.count()
    cases = [world.own_case.pk, world.other_case.pk]
    refused(as_("agency").post("/api/bulk/cases", {"action": "hold", "case_ids": cases,
                                                   "reason": "x"}), 404)
    refused(as_("agency").post("/api/bulk/cases", {"action": "hold",
                                                   "case_ids": [world.own_case.pk]}), 409,
            "reason_required")
    refused(as_("agency").post("/api/bulk/cases", {"action": "hold", "case_ids": []}), 422)
    assert CaseEvent.objects.count() == events


# --- service tasks -------------------------------------------------------------------------------

def test_a_service_officer_takes_and_completes_a_task(world, as_):
    task = ServiceOfficerTask.objects.create(
        unit=world.own_case.unit, restructure_kind="merger", restructured_on=date(2019, 7, 1),
        facts={"successor": "x"}, created_at=clock.now(), run=world.own_case.opened_by_run)
    listed = as_("auditor").get("/api/service-tasks?status=open").json()["items"]
    assert [t["id"] for t in listed] == [task.pk]
    refused(as_("auditor").post(f"/api/service-tasks/{task.pk}/take"), 403, "wrong_role")
    refused(as_("other_agency").post(f"/api/service-tasks/{task.pk}/take"), 404)
    taken = as_("service_officer").post(f"/api/service-tasks/{task.pk}/take")
    assert taken.status_code == 200 and taken.json()["assigned_to"] == "service"
    url = f"/api/service-tasks/{task.pk}/completion"
    refused(as_("service_officer").post(url, {"note": ""}), 422)
    done = as_("service_officer").post(url, {"note": "合并后由存续企业申请，已告知"})
    assert done.status_code == 200 and done.json()["status"] == "done"


# --- appeals -----------------------------------------------------------------------------------

def test_an_officer_answers_an_appeal_once(world, as_):
    from wengang.web.models import Appeal

    appeal = Appeal.objects.create(case=world.own_case, filed_by=world.users["enterprise"],
                                   filed_at=clock.now(), reason="参保人数统计有误")
    listed = as_("auditor").get("/api/appeals?status=open").json()["items"]
    assert [(a["id"], a["reason"]) for a in listed] == [(appeal.pk, "参保人数统计有误")]
    assert as_("other_agency").get("/api/appeals").json()["items"] == []
    url = f"/api/appeals/{appeal.pk}/answer"
    refused(as_("auditor").post(url, {"answer": "已核实"}), 403, "wrong_role")
    refused(as_("other_agency").post(url, {"answer": "已核实"}), 404)
    refused(as_("agency").post(url, {"answer": ""}), 422)
    appeal.refresh_from_db()
    assert (appeal.status, appeal.answer) == ("open", "")
    answered = as_("agency").post(url, {"answer": "已核实，按确认人数重新测算"})
    assert answered.status_code == 200, answered.content
    assert (answered.json()["status"], answered.json()["answer"]) == ("answered",
                                                                       "已核实，按确认人数重新测算")
    refused(as_("agency").post(url, {"answer": "另一个答复"}), 409)
    appeal.refresh_from_db()
    assert (appeal.answer, appeal.answered_by) == ("已核实，按确认人数重新测算",
                                                   world.users["agency"])


# --- oversight ---------------------------------------------------------------------------------

def test_a_sweep_holds_a_flagged_case_and_an_officer_clears_it(world, make_case, as_):
    flagged = make_case(State.APPROVED, route="automatic", risk="layoff_spike")
    refused(as_("auditor").post("/api/oversight/holds/sweep"), 403, "wrong_role")
    swept = as_("agency").post("/api/oversight/holds/sweep")
    assert swept.status_code == 200 and swept.json()["held"] == [flagged.pk]
    (hold,) = as_("auditor").get("/api/oversight/holds?open=true").json()["items"]
    assert (hold["case_id"], hold["outcome"]) == (flagged.pk, "")
    url = f"/api/oversight/holds/{hold['id']}/clearance"
    refused(as_("agency").post(url, {"reason": ""}), 422)
    refused(as_("other_agency").post(url, {"reason": "x"}), 404)
    cleared = as_("agency").post(url, {"reason": "裁员系经营调整，已核实"})
    assert cleared.status_code == 200 and cleared.json()["outcome"] == "cleared"
    flagged.refresh_from_db()
    assert flagged.state == State.APPROVED
    assert RiskHold.objects.open().count() == 0


def test_a_planner_draws_a_sample_and_only_the_assigned_auditor_records_findings(
        world, payable, as_):
    auditor = world.users["auditor"]
    body = {"program": PROGRAM, "refund_year": 2020, "method": "simple", "size": 2, "seed": 7,
            "auditor_id": auditor.pk}
    refused(as_("auditor").post("/api/oversight/samples", body), 403, "wrong_role")
    refused(as_("supervisor").post("/api/oversight/samples", {**body, "size": 0}), 422)
    refused(as_("supervisor").post("/api/oversight/samples",
                                   {**body, "auditor_id": world.users["agency"].pk}), 404)
    drawn = as_("supervisor").post("/api/oversight/samples", body)
    assert drawn.status_code == 200, drawn.content
    plan = SamplePlan.objects.get(pk=drawn.json()["id"])
    assert (plan.size, plan.seed, plan.auditor_id) == (2, 7, auditor.pk)
    detail = as_("auditor").get(f"/api/oversight/samples/{plan.pk}").json()
    items = [c["item_id"] for c in detail["cases"]]
    assert len(items) == 2 and all("****" in c["account_masked"] for c in detail["cases"])
    url = f"/api/oversight/items/{items[0]}/finding"
    refused(as_("auditor").post(url, {"outcome": "improper", "improper_fen": 0,
                                      "note": "虚报"}), 400)
    refused(as_("agency").post(url, {"outcome": "confirmed", "note": "x"}), 403)
    found = as_("auditor").post(url, {"outcome": "improper", "improper_fen": 1, "note": "虚报"})
    assert found.status_code == 200 and found.json()["improper_fen"] == 1
    refused(as_("auditor").post(url, {"outcome": "confirmed", "note": "再记"}), 400)
    listed = as_("supervisor").get("/api/oversight/findings").json()["items"]
    assert [f["id"] for f in listed] == [found.json()["id"]]
    assert Finding.objects.count() == 1


# --- statistics ----------------------------------------------------------------------------------

def test_the_kpis_are_for_the_console_roles_within_their_region(world, as_):
    figures = as_("agency").get("/api/stats/kpis")
    assert figures.status_code == 200, figures.content
    assert figures.json()["region"] == CITY
    assert figures.json()["headline"]["paid_fen"] == 0
    assert as_("agency").get("/api/stats/kpis?region=360102").json()["region"] == "360102"
    refused(as_("agency").get("/api/stats/kpis?region=360200"), 404)
    refused(as_("agency").get("/api/stats/kpis?region=36010"), 422)
    refused(as_("department").get("/api/stats/kpis"), 403, "wrong_role")
    assert as_("admin").get("/api/stats/kpis").json()["region"] is None


def test_payment_labels_are_in_english_for_a_client_that_chose_english(world, token_for):
    """Chinese first; English when chosen (the language cookie), as on the site."""
    english = Client()
    english.cookies["django_language"] = "en"
    listed = english.get("/api/payments/batches", headers=bearer(token_for(
        world.users["finance"]))).json()["items"]
    assert [b["status_label"] for b in listed] == ["Awaiting approval"]
    chinese = Client().get("/api/payments/batches", headers=bearer(token_for(
        world.users["finance"]))).json()["items"]
    assert [b["status_label"] for b in chinese] == ["待审批"]
