"""Late claims (补报): a unit that screening missed, or that let its deadline pass, claims.

    claim = file_late_claim(uscc="91360102…", program="inclusive-2020", claimant_name="李四",
                            contact_phone="13800000000", actor=officer)

A claim is accepted within the program's window (default: to 31 December of the refund year; a
region parameter). A declined case of the unit is reopened at once (awaiting its application
again, with a new deadline). Otherwise the claim waits for the next screening run, which decides
it with the same rules as everyone else: the loader links the case it opens, or records why the
unit is not eligible (``LateClaim.status`` and ``explanation``).
"""

from datetime import date

from django.db import transaction

from wengang.accounts.models import Role, User
from wengang.core.clock import clock
from wengang.core.ids import validate_uscc
from wengang.core.workdays import WorkCalendar
from wengang.policy import PolicySet, load_policy

from . import workflow
from .errors import CaseAlreadyExists, LateClaimWindowClosed, NotOwnUnit, ReasonRequired
from .models import Action, Case, Channel, LateClaim, State, Unit
from .parameters import parameters_for


def file_late_claim(*, uscc: str, program: str, claimant_name: str, contact_phone: str,
                    reason: str = "", actor: User | None = None, channel: str = Channel.CONSOLE,
                    request_id: str = "", today: date | None = None,
                    policy: PolicySet | None = None,
                    calendar: WorkCalendar | None = None) -> LateClaim:
    """Accept a late claim (or return the one already waiting for this unit and program)."""
    validate_uscc(uscc)
    if not claimant_name.strip() or not contact_phone.strip():
        raise ReasonRequired("补报（须有申请人和联系电话） / a late claim (claimant and phone)")
    refund_year = (policy or load_policy()).program(program).refund_year
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
