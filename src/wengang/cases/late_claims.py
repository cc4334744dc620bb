"""Late claims (补报): a unit that screening missed, or that let its deadline pass, claims.

    claim = file_late_claim(uscc="91360102…", program="inclusive-2020", claimant_name="李四",
                            contact_phone="13800000000", actor=officer)

A claim is accepted within the program's window (default: to 31 December of the refund year; a
region parameter). A declined case of the unit is reopened at once (awaiting its application
again, with a new deadline). Any other claim is screened at once, with the same rules and code
as everyone else (``unit_screening``), over the feeds of the latest loaded run of the program —
or over a feed folder supplied for the unit (``feeds``: its units, contributions and registry
rows, say from paper records) — as of the day of the claim. The one-unit screening is recorded
as a screening run. Eligible: a case opens and joins the flow on the application route (the
claimant confirms the facts and signs the commitment by a new deadline). Not eligible: the
claim says why. A unit absent from those feeds waits for the next full run, which decides it
the same way (the loader links the case it opens, or records why the unit is not eligible).
"""

import hashlib
import json
from datetime import date
from pathlib import Path

from django.db import transaction

import wengang
from wengang.accounts.models import Role, User
from wengang.core import regions
from wengang.core.clock import clock
from wengang.core.errors import RegionError
from wengang.core.ids import validate_uscc
from wengang.core.workdays import WorkCalendar
from wengang.policy import PolicySet, load_policy
from wengang.screening import FeedSource, folder_source
from wengang.screening.errors import ScreeningError
from wengang.screening.inputs import sha256_file

from . import workflow
from .errors import (
    CaseAlreadyExists,
    InputsChanged,
    LateClaimWindowClosed,
    NotOwnUnit,
    ReasonRequired,
    RunRecordError,
)
from .loading import check_inputs, run_inputs
from .models import (
    AccountKind,
    Action,
    Case,
    CaseEvent,
    Channel,
    LateClaim,
    Route,
    ScreeningRun,
    State,
    Unit,
    sealed_account_fields,
)
from .parameters import parameters_for
from .unit_screening import UnitDecision, screen_unit


def file_late_claim(*, uscc: str, program: str, claimant_name: str, contact_phone: str,
                    reason: str = "", actor: User | None = None, channel: str = Channel.CONSOLE,
                    request_id: str = "", today: date | None = None,
                    policy: PolicySet | None = None, feeds: Path | None = None,
                    calendar: WorkCalendar | None = None) -> LateClaim:
    """Accept a late claim (or return the one already waiting for this unit and program).

    ``feeds``: a feed folder holding the unit's own rows, screened instead of the latest run's.
    """
    validate_uscc(uscc)
    if not claimant_name.strip() or not contact_phone.strip():
        raise ReasonRequired("补报（须有申请人和联系电话） / a late claim (claimant and phone)")
    policy = policy or load_policy()
    refund_year = policy.program(program).refund_year
    today = today or clock.today()
    unit = Unit.objects.filter(uscc=uscc).first()
    region_code = unit.region_code if unit else uscc[2:8]
    if actor is not None:
        workflow.require_role(actor, Action.LATE_CLAIM_REOPENED)
        if actor.role == Role.ENTERPRISE:
            if actor.uscc != uscc:
                raise NotOwnUnit(uscc)
        else:
            workflow.require_region(actor, region_code)
    until = parameters_for(region_code, program).late_claim_deadline(refund_year)
    if today > until:
        raise LateClaimWindowClosed(program, until)
    with transaction.atomic():
        waiting = LateClaim.objects.received().filter(uscc=uscc, program=program).first()
        if waiting is not None:
            return waiting
        case = (Case.objects.select_for_update()
                .filter(unit=unit, program=program, refund_year=refund_year).first()
                if unit else None)
        claim = LateClaim(uscc=uscc, program=program, refund_year=refund_year,
                          region_code=region_code, unit=unit, claimant_name=claimant_name,
                          contact_phone=contact_phone, reason=reason, filed_at=clock.now(),
                          filed_by=actor, channel=channel)
        if case is not None:
            if case.state != State.DECLINED:
                raise CaseAlreadyExists(case.pk, str(case.get_state_display()))
            workflow.reopen_for_late_claim(case, actor=actor, reason=f"补报：{reason}".rstrip("："),
                                           channel=channel, request_id=request_id, today=today,
                                           calendar=calendar)
            claim.status = LateClaim.Status.REOPENED
            claim.case = case
            claim.save()
            return claim
        claim.save()
    _screen_at_once(claim, policy=policy, feeds=feeds, actor=actor, channel=channel,
                    request_id=request_id, today=today, calendar=calendar)
    return claim


def _latest_source(program: str, region_code: str) -> tuple[ScreeningRun, FeedSource] | None:
    """The feeds of the latest loaded full run of ``program`` covering ``region_code``."""
    for run in ScreeningRun.objects.filter(loaded_at__isnull=False, uscc="").order_by("-screened_at")[:50]:
        try:
            covers = regions.contains(run.region_code, region_code)
        except RegionError:  # a code the region table lacks: no run covers it
            covers = False
        if program in run.programs and covers:
            source = run_inputs(run.record)
            check_inputs(source, run.record)
            return run, source
    return None


def _screen_at_once(claim: LateClaim, *, policy: PolicySet, feeds: Path | None,
                    actor: User | None, channel: str, request_id: str, today: date,
                    calendar: WorkCalendar | None) -> None:
    """Decide the claim now from the latest run's feeds (or ``feeds``), when they hold the unit."""
    try:
        if feeds is not None:
            basis, source = None, folder_source(Path(feeds))
        elif (latest := _latest_source(claim.program, claim.region_code)) is not None:
            basis, source = latest
        else:
            return
        region_code = basis.region_code if basis else claim.region_code
        settings = basis.settings if basis else {}
        decision = screen_unit(source, uscc=claim.uscc, program=claim.program, as_of=today,
                               region_code=region_code, settings=settings, policy=policy,
                               screened_with=basis.programs if basis else None)
    except (InputsChanged, RunRecordError, ScreeningError) as error:
        # The claim still waits for the next full run; the officer sees why it was not decided.
        LateClaim.objects.filter(pk=claim.pk).update(explanation=f"未能即时筛查：{error.zh}")
        claim.refresh_from_db()
        return
    if decision is None:
        return
    with transaction.atomic():
        run = _record_run(claim, decision, source, region_code=region_code, settings=settings,
                          policy=policy, actor=actor, today=today)
        claim.decided_by_run = run
        claim.explanation = decision.explanation
        if decision.eligible:
            claim.case = _open_case(claim, decision, run, policy=policy, actor=actor,
                                    channel=channel,
                                    request_id=request_id, today=today, calendar=calendar)
            claim.unit = claim.case.unit
            claim.status = LateClaim.Status.CASE_OPENED
        else:
            claim.status = LateClaim.Status.NOT_ELIGIBLE
        claim.save(update_fields=["decided_by_run", "explanation", "case", "unit", "status"])


def _record_run(claim: LateClaim, decision: UnitDecision, source: FeedSource, *,
                region_code: str, settings: dict, policy: PolicySet, actor: User | None,
                today: date) -> ScreeningRun:
    """The one-unit screening as a run record: which feeds, policy and settings decided it."""
    now = clock.now()
    program = policy.program(claim.program)
    result = {"uscc": claim.uscc, "program": claim.program, "eligible": decision.eligible,
              "amount_fen": decision.amount_fen, "size": decision.size,
              "failed": decision.failed, "explanation": decision.explanation}
    record = {
        "created_at": now.isoformat(timespec="seconds"), "code_version": wengang.__version__,
        "as_of": today.isoformat(), "region_code": region_code, "settings": settings,
        "late_claim": claim.pk,
        "inputs": {"kind": source.kind, "path": str(source.path),
                   "snapshot_id": source.snapshot_id,
                   "sha256": {feed: sha256_file(path) for feed, path in sorted(source.files.items())}},
        "programs": {claim.program: {"policy_file": Path(program.source).name,
                                     "policy_sha256": program.source_sha256}},
        "output": {"rows": 1, "result": result},
    }
    text = json.dumps(record, ensure_ascii=False, sort_keys=True, default=str)
    return ScreeningRun.objects.create(
        record_sha256=hashlib.sha256(text.encode()).hexdigest(),
        result_sha256=hashlib.sha256(json.dumps(result, sort_keys=True).encode()).hexdigest(),
        result_path="", as_of=today, region_code=region_code, programs=[claim.program],
        settings=settings, input_kind=source.kind, input_path=str(source.path),
        snapshot_id=source.snapshot_id or "", input_sha256=record["inputs"]["sha256"],
        code_version=wengang.__version__, screened_at=now, rows=1, uscc=claim.uscc,
        record=record, loaded_at=now, loaded_by=actor)


def _open_case(claim: LateClaim, decision: UnitDecision, run: ScreeningRun, *,
               policy: PolicySet, actor: User | None, channel: str, request_id: str, today: date,
               calendar: WorkCalendar | None) -> Case:
    """Open the claim's case and notify it: a claimant confirms and signs like any applicant."""
    now = clock.now()
    unit = Unit.objects.filter(uscc=claim.uscc).first() or _new_unit(decision, run, now)
    case = Case.objects.create(
        unit=unit, program=claim.program, program_kind=policy.program(claim.program).kind,
        refund_year=claim.refund_year, state=State.SCREENED, route=Route.APPLICATION,
        size=decision.size, priority=decision.priority, eligible=True,
        amount_fen=decision.amount_fen, layoff_rate=decision.layoff_rate,
        insured=decision.insured, explanation=decision.explanation, opened_by_run=run,
        screening_run=run, state_changed_at=now, created_at=now, updated_at=now,
        **unit.account_fields())
    CaseEvent.objects.create(
        case=case, at=now, actor=actor, actor_label="" if actor else "补报", action=Action.OPENED,
        state_after=State.SCREENED, reason=f"补报 #{claim.pk}：单户筛查符合条件，立案",
        channel=channel, request_id=request_id, run=run, amount_after_fen=case.amount_fen)
    return workflow.notify(case, actor=None, channel=channel, request_id=request_id, today=today,
                           calendar=calendar)


def _new_unit(decision: UnitDecision, run: ScreeningRun, now) -> Unit:
    facts = decision.unit
    number = facts.get("bank_account") or facts.get("si_account") or ""
    kind = AccountKind.BANK if facts.get("bank_account") else AccountKind.SI
    return Unit.objects.create(
        uscc=facts["uscc"], name=facts.get("name") or "", unit_type=facts.get("unit_type") or "",
        region_code=facts["region_code"], industry_code=facts.get("industry_code") or "",
        size=decision.size, is_labour_dispatch=bool(facts.get("is_labour_dispatch")),
        registered_on=facts.get("registered_on"), legal_rep_name=facts.get("legal_rep_name") or "",
        contact_phone=facts.get("contact_phone") or "", clerk_name=facts.get("clerk_name") or "",
        clerk_phone=facts.get("clerk_phone") or "", bank_name=facts.get("bank_name") or "",
        restructured_on=facts.get("restructured_on"),
        restructure_kind=facts.get("restructure_kind") or "", last_run=run, updated_at=now,
        **sealed_account_fields(number, kind, owner=facts["uscc"]))
