"""What the internet instance does where the single instance would change a case itself.

The internet database holds a copy of the intranet's cases; it never decides. An enterprise's
confirmation, a member of the public's objection, an account change or a late claim is
recorded here as a ``Submission`` ("submitted, awaiting intranet review") together with an
inward message, in one transaction. The intranet applies the message through the same services
the single instance uses (``inward``) and answers with a ``submission_result``; the case itself
changes on the internet only when the intranet's case update arrives (``outward``).

The checks made here (role, own unit, the state the portal offered) are the portal's courtesy
to the user: the intranet checks everything again.
"""

from django.db import IntegrityError, transaction

from wengang.accounts.models import Role, User
from wengang.cases.errors import (
    IllegalTransition,
    NotOwnUnit,
    PreconditionFailed,
    ReasonRequired,
)
from wengang.cases.models import Action, Case, CommitmentText, Person, State
from wengang.cases.workflow import Confirmation, require_actor_for_case, require_letter_shown
from wengang.core.clock import clock
from wengang.core.ids import mask_account

from . import internet
from .envelope import INWARD, seal_field
from .keys import direction_keys
from .models import OutboundMessage, Submission

SEALED_FIELDS = ("account_number", "objector_contact")
"""Payload fields sealed for the intranet (``envelope.seal_field``): neither the internet
database nor the spool file holds them in clear."""


def _record(kind: str, payload: dict, *, case: Case | None, uscc: str, summary: str,
            actor: User | None) -> Submission:
    now = clock.now()
    key = direction_keys()[INWARD]
    sealed = {name: seal_field(key, value) if name in SEALED_FIELDS else value
              for name, value in payload.items()}
    with transaction.atomic():
        message = OutboundMessage.objects.create(direction=INWARD, kind=kind, payload=sealed,
                                                 created_at=now)
        submission = Submission.objects.create(
            kind=kind, case=case, uscc=uscc, summary=summary[:255], submitted_at=now,
            submitted_by=actor, message=message)
        message.payload = {**sealed, "submission": submission.pk, "submitted_at": now.isoformat()}
        message.save(update_fields=["payload"])
    return submission


def submit_confirmation(case: Case, *, actor: User, confirmation: Confirmation,
                        commitment_text: CommitmentText, origin: str) -> Submission:
    """The enterprise confirms its facts and signs the letter; the intranet applies it
    (``workflow.apply``) with the case version the enterprise saw."""
    _require_internet()
    require_actor_for_case(actor, case, Action.APPLIED, roles=(Role.ENTERPRISE,))
    if not confirmation.signatory_name.strip():
        raise ReasonRequired(str(Action.APPLIED.label))
    require_letter_shown(case, confirmation, commitment_text)
    if case.state != State.AWAITING_APPLICATION:
        raise IllegalTransition(case.pk, str(Action.APPLIED.label), str(case.get_state_display()),
                                (str(State.AWAITING_APPLICATION.label),))
    payload = {"case": case.pk, "version": case.version, "uscc": case.unit.uscc,
               "size": confirmation.size, "insured": confirmation.insured,
               "amount_fen": confirmation.amount_fen, "signatory_name": confirmation.signatory_name,
               "commitment_version": commitment_text.version,
               "commitment_sha256": commitment_text.sha256, "origin": origin}
    try:
        return _record(Submission.Kind.CONFIRMATION, payload, case=case, uscc=case.unit.uscc,
                       actor=actor, summary=f"参保 {confirmation.insured} 人，经办人 "
                                            f"{confirmation.signatory_name}")
    except IntegrityError:
        raise PreconditionFailed(f"案件 {case.pk} 已提交确认，正在等待内网审核，请勿重复提交",
                                 f"case {case.pk} is already confirmed and awaits the intranet; "
                                 "do not submit twice") from None


def submit_objection(case: Case, *, objector_name: str, objector_contact: str,
                     reason: str) -> Submission:
    """A member of the public objects to a published case, a unit's or a person's
    (``publicity.file_objection``)."""
    _require_internet()
    if not reason.strip() or not objector_name.strip() or not objector_contact.strip():
        raise ReasonRequired("公示异议（须有姓名、联系方式和理由） / an objection (name, contact, reason)")
    payload = {"case": case.pk, "objector_name": objector_name,
               "objector_contact": objector_contact, "reason": reason}
    return _record(Submission.Kind.OBJECTION, payload, case=case,
                   uscc=case.unit.uscc if case.unit_id else "", actor=None,
                   summary=f"异议人 {objector_name[:1]}**")


def submit_account_change(uscc: str, *, actor: User, account_number: str, bank_name: str,
                          holder_name: str) -> Submission:
    """The enterprise asks for a new receiving account (``payments.request_account_change``)."""
    _require_internet()
    if actor.role != Role.ENTERPRISE or actor.uscc != uscc:
        raise NotOwnUnit(uscc)
    payload = {"uscc": uscc, "account_number": account_number.strip(), "bank_name": bank_name,
               "holder_name": holder_name}
    return _record(Submission.Kind.ACCOUNT_CHANGE, payload, case=None, uscc=uscc, actor=actor,
                   summary=f"{bank_name} {mask_account(account_number.strip())}")


def submit_person_account_change(person: Person, *, actor: User, account_number: str,
                                 bank_name: str, holder_name: str) -> Submission:
    """A person asks for a new receiving account (``payments.request_account_change``, which
    checks the holder against the person's full name: only the intranet has it)."""
    from wengang.payments.account_changes import require_requester  # the same check

    _require_internet()
    require_requester(actor, person)
    payload = {"person": person.resident_id_digest, "account_number": account_number.strip(),
               "bank_name": bank_name, "holder_name": holder_name}
    return _record(Submission.Kind.ACCOUNT_CHANGE, payload, case=None, uscc="", actor=actor,
                   summary=f"{bank_name} {mask_account(account_number.strip())}")


def submit_late_claim(uscc: str, *, actor: User, program: str, claimant_name: str,
                      contact_phone: str, reason: str) -> Submission:
    """The enterprise claims late (``cases.file_late_claim``, screened on the intranet)."""
    _require_internet()
    if actor.role != Role.ENTERPRISE or actor.uscc != uscc:
        raise NotOwnUnit(uscc)
    payload = {"uscc": uscc, "program": program, "claimant_name": claimant_name,
               "contact_phone": contact_phone, "reason": reason}
    return _record(Submission.Kind.LATE_CLAIM, payload, case=None, uscc=uscc, actor=actor,
                   summary=f"{program}，申请人 {claimant_name[:1]}**")


def submit_appeal(appeal) -> Submission:
    """The enterprise's appeal (``web.models.Appeal``), recorded here as on a single instance
    (the portal lists it, one open per case) and sent for the intranet to file and answer.
    Call inside the transaction that created it."""
    _require_internet()
    case = appeal.case
    payload = {"appeal": appeal.pk, "case": case.pk, "uscc": case.unit.uscc,
               "reason": appeal.reason, "filed_at": appeal.filed_at.isoformat()}
    return _record(Submission.Kind.APPEAL, payload, case=case, uscc=case.unit.uscc,
                   actor=appeal.filed_by, summary=appeal.reason[:60])


def latest_for(case: Case) -> Submission | None:
    """The case's latest confirmation on the internet instance (none elsewhere: no query)."""
    if not internet():
        return None
    return (Submission.objects.filter(case=case, kind=Submission.Kind.CONFIRMATION)
            .order_by("-submitted_at", "-id").first())


def _require_internet() -> None:
    if not internet():
        raise PreconditionFailed("只有外网实例记录待内网审核的提交",
                                 "only the internet instance records submissions for the intranet")
