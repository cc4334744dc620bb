"""Oversight (监督): risk holds and their release, spot-check samples, auditors' findings and
claiming an improper payment back — the console's oversight pages, with the same rules.

Agency, supervisor, auditor and admin read; the agency's deciders sweep and clear holds; a
planner (agency, supervisor) draws a sample and assigns it to an auditor; only the assigned
auditor records findings, one per sampled case, never changed; the agency turns an improper
finding into a receivable. An auditor sees only the samples assigned to it, phone and account
masked. The services (``oversight.holds``, ``sampling``, ``findings``) check role, region and
assignment again; the querysets are the console's.
"""

from datetime import date, datetime

from django.db.models import Count, F
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from wengang.accounts.models import Role, User
from wengang.cases.models import Channel
from wengang.oversight import findings, holds, sampling
from wengang.oversight.models import Finding, Method, Outcome, RiskHold, SampleItem, SamplePlan
from wengang.web.access import DECIDER_ROLES
from wengang.web.oversight import OVERSIGHT_ROLES, _item_for, holds_for, plans_for

from .auth import allow, user_of
from .errors import NotFound
from .models import Scope
from .pages import PageIn, page_of
from .schemas import ACTION_ERRORS, ERRORS, ObjectId, Page, Text

router = Router(tags=["oversight 监督"])


class RiskHoldOut(Schema):
    id: int
    case_id: int
    uscc: str
    unit_name: str
    flags: str
    held_at: datetime
    held_by: str
    outcome: str = Field(description="empty while the hold is open")
    outcome_label: str
    reason: str
    ended_at: datetime | None
    ended_by: str | None


class RiskHoldPage(Page):
    items: list[RiskHoldOut]


class HoldFilters(Schema):
    open: bool = Field(False, description="only holds not yet ended")


class SweepOut(Schema):
    held: list[int] = Field(description="cases newly held for their risk flags")
    corrected: list[int] = Field(description="released: the unit corrected its data")
    ended: list[int] = Field(description="holds another step already settled")
    skipped: dict[int, str] = Field(description="cases someone changed meanwhile, with why")


class ClearIn(Schema):
    reason: Text(200, min_length=1, description="what the check found (核查结论)")


class SamplePlanOut(Schema):
    id: int
    program: str
    refund_year: int
    region_code: str
    method: str
    size: int
    seed: int
    risk_weight: int
    population: int
    population_sha256: str
    auditor: str
    created_at: datetime
    checked: int = Field(description="sampled cases with a finding")


class SamplePlanPage(Page):
    items: list[SamplePlanOut]


class SamplePlanIn(Schema):
    program: Text(32, min_length=1, description="e.g. inclusive-2020")
    refund_year: int = Field(ge=2000, le=2100)
    method: Method
    size: int = Field(ge=1, le=100_000)
    seed: int | None = Field(None, ge=0, le=2**63 - 1, description="empty: drawn and recorded")
    risk_weight: int = Field(1, ge=1, le=100)
    auditor_id: ObjectId = Field(description="the user id of an active auditor")


class FindingOut(Schema):
    id: int
    item_id: int
    plan_id: int
    case_id: int
    outcome: str
    outcome_label: str
    improper_fen: int
    note: str
    recorded_by: str
    recorded_at: datetime
    receivable_id: int | None


class FindingPage(Page):
    items: list[FindingOut]


class SampledCaseOut(Schema):
    item_id: int
    case_id: int
    uscc: str
    unit_name: str
    program: str
    state: str
    amount_fen: int
    risk: str
    phone_masked: str
    account_masked: str
    finding: FindingOut | None


class SamplePlanDetailOut(SamplePlanOut):
    cases: list[SampledCaseOut]


class FindingIn(Schema):
    outcome: Outcome
    improper_fen: int = Field(0, ge=0, le=10**14,
                              description="improper: the amount paid wrongly, in fen")
    note: Text(2000, min_length=1)


class ClaimIn(Schema):
    due_on: date = Field(description="the day the unit must have paid back by (the amount is "
                                     "the finding's)")


class ReceivableRef(Schema):
    receivable_id: int
    amount_fen: int
    due_on: date


def _name(user: User | None) -> str | None:
    return user.username if user else None


def _hold(hold: RiskHold) -> dict:
    return {"id": hold.pk, "case_id": hold.case_id, "uscc": hold.case.unit.uscc,
            "unit_name": hold.case.unit.name, "flags": hold.flags, "held_at": hold.held_at,
            "held_by": hold.held_by.username, "outcome": hold.outcome,
            "outcome_label": str(hold.get_outcome_display()) if hold.outcome else "",
            "reason": hold.reason, "ended_at": hold.ended_at, "ended_by": _name(hold.ended_by)}


def _plan(plan: SamplePlan) -> dict:
    return {"id": plan.pk, "program": plan.program, "refund_year": plan.refund_year,
            "region_code": plan.region_code, "method": plan.method, "size": plan.size,
            "seed": plan.seed, "risk_weight": plan.risk_weight, "population": plan.population,
            "population_sha256": plan.population_sha256, "auditor": plan.auditor.username,
            "created_at": plan.created_at, "checked": plan.checked}


def _finding(finding: Finding) -> dict:
    return {"id": finding.pk, "item_id": finding.item_id, "plan_id": finding.item.plan_id,
            "case_id": finding.item.case_id, "outcome": finding.outcome,
            "outcome_label": str(finding.get_outcome_display()),
            "improper_fen": finding.improper_fen, "note": finding.note,
            "recorded_by": finding.recorded_by.username, "recorded_at": finding.recorded_at,
            "receivable_id": finding.receivable_id}


def _plans(request: HttpRequest):
    return plans_for(user_of(request)).select_related("auditor").annotate(
        checked=Count("items__finding"))


def _plan_for(request: HttpRequest, plan_id: int) -> SamplePlan:
    plan = _plans(request).filter(pk=plan_id).first()
    if plan is None:
        raise NotFound("抽查计划", "sample plan")
    return plan


def _findings(request: HttpRequest):
    """Findings on the sampled cases the user may see, in the samples the user may see."""
    user = user_of(request)
    return Finding.objects.filter(item__in=SampleItem.objects.visible_to(user),
                                  item__plan__in=plans_for(user)).select_related(
        "item", "recorded_by")


@router.get("/oversight/holds", response={200: RiskHoldPage, **ERRORS},
            operation_id="list_risk_holds",
            summary="Risk holds of your region's cases, open ones first")
@allow(*OVERSIGHT_ROLES, scope=Scope.OVERSIGHT_READ)
def list_risk_holds(request: HttpRequest, filters: Query[HoldFilters], paging: Query[PageIn]):
    listed = (holds_for(user_of(request)).select_related("case__unit", "held_by", "ended_by")
              .order_by(F("ended_at").desc(nulls_first=True), "-held_at", "-id"))
    if filters.open:
        listed = listed.filter(outcome="")
    return page_of(listed, paging, _hold)


@router.post("/oversight/holds/sweep", response={200: SweepOut, **ACTION_ERRORS},
             operation_id="sweep_risk_holds",
             summary="Hold your region's newly flagged cases; release those the unit corrected")
@allow(*DECIDER_ROLES, scope=Scope.OVERSIGHT_ACT)
def sweep_risk_holds(request: HttpRequest):
    user = user_of(request)
    done = holds.sweep(actor=user, region_code=user.region_code, channel=Channel.API)
    return {"held": done.held, "corrected": done.corrected, "ended": done.ended,
            "skipped": done.skipped}


@router.post("/oversight/holds/{hold_id}/clearance", response={200: RiskHoldOut, **ACTION_ERRORS},
             operation_id="clear_risk_hold",
             summary="Release a case held for its risk flags, with what the check found")
@allow(*DECIDER_ROLES, scope=Scope.OVERSIGHT_ACT)
def clear_risk_hold(request: HttpRequest, hold_id: ObjectId, body: ClearIn):
    user = user_of(request)
    hold = holds_for(user).select_related("case").filter(pk=hold_id).first()
    if hold is None:
        raise NotFound("风险暂缓", "risk hold")
    cleared = holds.clear(hold.case, actor=user, reason=body.reason, channel=Channel.API)
    return _hold(holds_for(user).select_related("case__unit", "held_by", "ended_by")
                 .get(pk=cleared.pk))


@router.get("/oversight/samples", response={200: SamplePlanPage, **ERRORS},
            operation_id="list_samples",
            summary="Spot-check samples: your region's; an auditor: those assigned to it")
@allow(*OVERSIGHT_ROLES, scope=Scope.OVERSIGHT_READ)
def list_samples(request: HttpRequest, paging: Query[PageIn]):
    return page_of(_plans(request).order_by("-created_at", "-id"), paging, _plan)


@router.post("/oversight/samples", response={200: SamplePlanOut, **ACTION_ERRORS},
             operation_id="draw_sample",
             summary="Draw a spot-check sample of your region and assign it to an auditor")
@allow(*sampling.PLANNER_ROLES, scope=Scope.OVERSIGHT_ACT)
def draw_sample(request: HttpRequest, body: SamplePlanIn):
    user = user_of(request)
    auditor = User.objects.filter(pk=body.auditor_id, role=Role.AUDITOR, is_active=True).first()
    if auditor is None:
        raise NotFound("在用的审计账户", "active auditor account")
    plan = sampling.plan_spot_check(actor=user, auditor=auditor, program=body.program,
                                    refund_year=body.refund_year, region_code=user.region_code,
                                    method=body.method, size=body.size, seed=body.seed,
                                    risk_weight=body.risk_weight)
    return _plan(_plan_for(request, plan.pk))


@router.get("/oversight/samples/{plan_id}", response={200: SamplePlanDetailOut, **ERRORS},
            operation_id="get_sample",
            summary="A sample's cases in draw order (phone, account masked) and their findings")
@allow(*OVERSIGHT_ROLES, scope=Scope.OVERSIGHT_READ)
def get_sample(request: HttpRequest, plan_id: ObjectId):
    plan = _plan_for(request, plan_id)
    found = {f.item_id: f for f in _findings(request).filter(item__plan=plan)}
    cases = [{"item_id": case.item_id, "case_id": case.case_id, "uscc": case.uscc,
              "unit_name": case.unit_name, "program": case.program, "state": case.state,
              "amount_fen": case.amount_fen, "risk": case.risk, "phone_masked": case.phone,
              "account_masked": case.account,
              "finding": _finding(found[case.item_id]) if case.item_id in found else None}
             for case in findings.sampled_cases(user_of(request), plan)]
    return {**_plan(plan), "cases": cases}


@router.get("/oversight/findings", response={200: FindingPage, **ERRORS},
            operation_id="list_findings",
            summary="Auditors' findings on the samples you may see, newest first")
@allow(*OVERSIGHT_ROLES, scope=Scope.OVERSIGHT_READ)
def list_findings(request: HttpRequest, paging: Query[PageIn]):
    return page_of(_findings(request).order_by("-recorded_at", "-id"), paging, _finding)


@router.post("/oversight/items/{item_id}/finding", response={200: FindingOut, **ACTION_ERRORS},
             operation_id="record_finding",
             summary="The assigned auditor's finding on one sampled case (once; never changed)")
@allow(Role.AUDITOR, scope=Scope.OVERSIGHT_ACT)
def record_finding(request: HttpRequest, item_id: ObjectId, body: FindingIn):
    user = user_of(request)
    item = _item_for(user, item_id)
    finding = findings.record_finding(user, item.pk, outcome=body.outcome, note=body.note,
                                      improper_fen=body.improper_fen)
    return _finding(_findings(request).get(pk=finding.pk))


@router.post("/oversight/findings/{finding_id}/receivable",
             response={200: ReceivableRef, **ACTION_ERRORS}, operation_id="claim_back_finding",
             summary="Claim an improper payment back: a receivable of the finding's amount")
@allow(Role.AGENCY, scope=Scope.OVERSIGHT_ACT)
def claim_back_finding(request: HttpRequest, finding_id: ObjectId, body: ClaimIn):
    finding = (Finding.objects.select_related("item__case__unit", "item__plan")
               .filter(pk=finding_id, item__in=SampleItem.objects.visible_to(user_of(request)))
               .first())
    if finding is None:
        raise NotFound("抽查发现", "finding")
    receivable = findings.raise_receivable_for(finding, actor=user_of(request),
                                               due_on=body.due_on)
    return {"receivable_id": receivable.pk, "amount_fen": receivable.amount_fen,
            "due_on": receivable.due_on}
