"""On the intranet: apply the internet's submissions through the services the single instance
uses. Nothing here decides anything the workflow does not decide.

Each applier takes a verified message and either returns a one-line answer for the enterprise
(Chinese) or raises: a ``ZoneError`` for a message that names nothing we know (an unknown
case, another unit's case, a commitment letter we do not have), or the service's own
``CaseError`` / ``CoreError`` (the application deadline passed, the case moved on …). The
caller (``transfer``) runs it in a savepoint, so a refusal changes nothing, and sends the
answer back as a ``submission_result``.
"""

from collections.abc import Callable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.timezone import localdate

from wengang.accounts.login import (  # the one way an enterprise or a person user is made
    _enterprise_user,
    _person_user,
)
from wengang.cases import services
from wengang.cases.errors import PreconditionFailed
from wengang.cases.models import Case, Channel, CommitmentText, Person, Unit
from wengang.cases.workflow import Confirmation
from wengang.web.models import Appeal

from .envelope import INWARD, Message, ZoneError, open_field
from .models import AppealLink


def _request_id(message: Message) -> str:
    return f"zone-{message.direction}-{message.sequence}"


def _case(payload: dict) -> Case:
    """A unit's or a person's case (anyone may object to either on the public list)."""
    case = Case.objects.select_related("unit").filter(pk=payload.get("case")).first()
    if case is None:
        raise ZoneError(f"内网没有案件 {payload.get('case')}", f"no case {payload.get('case')} "
                        "on the intranet", code="zone_unknown_case")
    return case


def _unit(uscc: str) -> Unit:
    unit = Unit.objects.filter(uscc=uscc).first()
    if unit is None:
        raise ZoneError(f"内网没有参保单位 {uscc}", f"no insured unit {uscc} on the intranet",
                        code="zone_unknown_unit")
    return unit


def _own_case(data: dict) -> Case:
    """The case of ``data``, which must be the unit's that submitted it."""
    case = _case(data)
    if case.unit_id is None or case.unit.uscc != data.get("uscc"):
        raise ZoneError(f"案件 {case.pk} 不属于单位 {data.get('uscc')}",
                        f"case {case.pk} is not unit {data.get('uscc')}'s", code="zone_not_own")
    return case


def confirmation(message: Message, keys: dict[str, bytes]) -> str:
    data = message.payload
    case = _own_case(data)
    text = CommitmentText.objects.filter(version=data.get("commitment_version")).first()
    if text is None or text.sha256 != data.get("commitment_sha256"):
        raise ZoneError(f"承诺书版本 {data.get('commitment_version')} 与内网不一致",
                        f"commitment letter {data.get('commitment_version')} differs from the "
                        "intranet's", code="zone_commitment")
    _unit(case.unit.uscc)
    case.version = int(data["version"])  # the version the enterprise saw: a change since is refused
    services.apply(case, actor=_enterprise_user(case.unit.uscc), confirmation=Confirmation(
        size=data["size"], insured=int(data["insured"]), amount_fen=int(data["amount_fen"]),
        signatory_name=data["signatory_name"]), commitment_text=text,
        origin=str(data.get("origin", ""))[:200], channel=Channel.ONLINE,
        request_id=_request_id(message))
    return "已确认并签署承诺书，请等待部门联审。"


def objection(message: Message, keys: dict[str, bytes]) -> str:
    data = message.payload
    case = _case(data)
    # Filed on the internet during the period: judged on the day it was filed, not the day the
    # gateway delivered it (a closed list still refuses it).
    filed_on = localdate(datetime.fromisoformat(data["submitted_at"]))
    services.file_objection(case, objector_name=data["objector_name"],
                            objector_contact=open_field(keys[INWARD], data["objector_contact"]),
                            reason=data["reason"], channel=Channel.PUBLIC,
                            request_id=_request_id(message), today=filed_on)
    return "异议已受理，经办机构将核实并与您联系。"


def _person(digest: str) -> Person:
    person = Person.objects.filter(resident_id_digest=digest).first()
    if person is None:
        raise ZoneError(f"内网没有个人 {str(digest)[:12]}…", f"no person {str(digest)[:12]}… on "
                        "the intranet", code="zone_unknown_person")
    return person


def account_change(message: Message, keys: dict[str, bytes]) -> str:
    """A unit's (``uscc``) or a person's (``person``: the blind index) new receiving account."""
    from wengang.payments import services as payments

    data = message.payload
    if "person" in data:
        payee = _person(data["person"])
        actor = _person_user(payee.resident_id_digest)
    else:
        payee = _unit(data["uscc"])
        actor = _enterprise_user(payee.uscc)
    change = payments.request_account_change(
        payee, actor=actor,
        account_number=open_field(keys[INWARD], data["account_number"]),
        bank_name=data["bank_name"], holder_name=data["holder_name"], channel=Channel.ONLINE)
    return f"已受理账户变更申请，冷静期满（{change.verifiable_from}）后经办机构核实。"


def late_claim(message: Message, keys: dict[str, bytes]) -> str:
    data = message.payload
    unit = _unit(data["uscc"])
    claim = services.file_late_claim(
        uscc=unit.uscc, program=data["program"], claimant_name=data["claimant_name"],
        contact_phone=data["contact_phone"], reason=data["reason"],
        actor=_enterprise_user(unit.uscc), channel=Channel.ONLINE)
    return f"补报已受理：{claim.get_status_display()}。{claim.explanation}".strip()


def appeal(message: Message, keys: dict[str, bytes]) -> str:
    """The enterprise's appeal, filed as the portal files it on a single instance (one open
    appeal per case), linked to its number on the internet for the answer."""
    data = message.payload
    case = _own_case(data)
    try:
        with transaction.atomic():
            filed = Appeal.objects.create(
                case=case, filed_by=_enterprise_user(case.unit.uscc),
                filed_at=datetime.fromisoformat(data["filed_at"]), reason=data["reason"])
            AppealLink.objects.create(appeal=filed, internet_appeal=int(data["appeal"]))
    except IntegrityError:  # an open appeal on the case, or this one linked already
        raise PreconditionFailed(f"案件 {case.pk} 已有待答复的复核申请，请等待经办机构答复",
                                 f"case {case.pk} already has an open appeal; wait for the "
                                 "agency's answer") from None
    return "复核申请已受理，经办机构将答复您。"


APPLIERS: dict[str, Callable[[Message, dict[str, bytes]], str]] = {
    "confirmation": confirmation, "objection": objection, "account_change": account_change,
    "late_claim": late_claim, "appeal": appeal,
}
