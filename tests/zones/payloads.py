"""Inward payloads as the internet instance writes them (``zones.submissions``)."""

from wengang.cases.models import Case, CommitmentText
from wengang.zones.envelope import INWARD, seal_field
from wengang.zones.keys import direction_keys

from .world import OWN_USCC


def confirmation_payload(case_id: int, *, submission: int = 1, version: int | None = None,
                         **changes) -> dict:
    case = Case.objects.filter(pk=case_id).first()
    payload = {"case": case_id, "version": version or (case.version if case else 1),
               "uscc": case.unit.uscc if case else OWN_USCC, "size": "small",
               "insured": 25, "amount_fen": 1_000_000, "signatory_name": "王小明",
               "commitment_version": "2020-1",
               "commitment_sha256": CommitmentText.objects.get(version="2020-1").sha256,
               "origin": "203.0.113.9", "submission": submission,
               "submitted_at": "2020-04-30T09:58:00+08:00"}
    return {**payload, **changes}


def objection_payload(case_id: int, *, submission: int = 2) -> dict:
    return {"case": case_id, "objector_name": "李四", "reason": "该企业去年已停产",
            "objector_contact": seal_field(direction_keys()[INWARD], "13912345678"),
            "submission": submission, "submitted_at": "2020-04-30T09:59:00+08:00"}
