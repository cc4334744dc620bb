"""Persons checked during a spot check (核查人员): whether each really works at the unit.

The auditor of a sample records the insured persons it checked at a sampled unit, by resident
ID number and name. The number is validated, then sealed for the unit (``cases.sealing``):
the database holds ciphertext, a blind index and a masked form, never the number. The same
person found on the lists of several units is looked up by the blind index (``named``).
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from wengang.accounts.models import Role, User
from wengang.cases.models.common import sealed_resident_id_fields
from wengang.core.clock import clock
from wengang.core.ids import mask_resident_id, validate_resident_id

from . import audit
from .errors import FindingInvalid, NotAllowed, ReasonRequired
from .models import CheckedPerson, Finding, SampleItem


def record_person(user: User, finding_id: int, *, resident_id: str, name: str, employed: bool,
                  note: str = "") -> CheckedPerson:
    """The assigned auditor records one person it checked for ``finding_id``.

    A person not employed needs a note (what was found). The ID number must be valid
    (``IdentifierError`` otherwise, naming it masked) and is recorded once per finding.
    """
    finding = (Finding.objects.select_related("item__plan", "item__case__unit")
               .filter(pk=finding_id, item__in=SampleItem.objects.visible_to(user)).first())
    if finding is None:
        raise FindingInvalid(f"没有编号为 {finding_id} 的抽查发现，或不在 {user.get_username()} 的抽查范围内",
                             f"no finding {finding_id} in a sample {user.get_username()} may see")
    if user.role != Role.AUDITOR or finding.item.plan.auditor_id != user.pk:
        raise NotAllowed(f"只有抽查 #{finding.item.plan_id} 指定的审计人可以记录核查人员",
                         f"only the auditor assigned to sample {finding.item.plan_id} records "
                         "checked persons")
    if not name.strip():
        raise FindingInvalid("核查人员须有姓名", "a checked person needs a name")
    if not employed and not note.strip():
        raise ReasonRequired("未在岗人员须写明核查情况", "a person found not employed needs a note")
    unit = finding.item.case.unit
    if unit is None:
        raise FindingInvalid("核查人员用于核实参保单位的在岗职工；本案件的受益人是个人",
                             "checked persons verify a unit's employees; this case pays a person")
    number = validate_resident_id(resident_id.strip().upper(), today=clock.today())
    try:
        with transaction.atomic():
            person = CheckedPerson.objects.create(
                finding=finding, name=name.strip()[:64], employed=employed, note=note.strip(),
                recorded_by=user, recorded_at=clock.now(),
                **sealed_resident_id_fields(number, owner=unit.uscc))
            audit.record("spot_check.person", actor=user.get_username(),
                         target=f"case:{finding.item.case_id}",
                         details={"finding": finding.pk, "person": person.pk,
                                  "resident_id": person.resident_id_masked,
                                  "employed": employed})
    except IntegrityError:
        raise FindingInvalid(f"发现 #{finding.pk} 已记录过该人员（{mask_resident_id(number)}）",
                             f"finding {finding.pk} already lists this person") from None
    return person


@dataclass(frozen=True)
class PersonSeen:
    """One check of a person, as a search result: masked, with where it was."""

    person_id: int
    name: str
    resident_id: str
    employed: bool
    uscc: str
    unit_name: str
    case_id: int
    plan_id: int


def named(user: User, resident_id: str) -> list[PersonSeen]:
    """Every check of the person with ``resident_id`` the user may see (exact match)."""
    number = validate_resident_id(resident_id.strip().upper(), today=clock.today())
    persons = (CheckedPerson.objects.with_resident_id(number)
               .filter(finding__item__in=SampleItem.objects.visible_to(user))
               .select_related("finding__item__case__unit").order_by("recorded_at", "pk"))
    return [PersonSeen(p.pk, p.name, p.resident_id_masked, p.employed,
                       p.finding.item.case.unit.uscc, p.finding.item.case.unit.name,
                       p.finding.item.case_id, p.finding.item.plan_id) for p in persons]
