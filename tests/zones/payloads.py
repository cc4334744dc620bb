"""Payloads as each zone writes them: inward ones as the internet instance does
(``zones.submissions``), outward ones as the intranet's export does (``zones.outward``)."""

from wengang.cases.models import Case, CommitmentText
from wengang.zones.envelope import INWARD, seal_field
from wengang.zones.keys import direction_keys

from .world import ITEM_EXPLANATION, OWN_USCC, PERSON_PHONE


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


# --- outward: the intranet's copy as the internet instance receives it ------------------------

OWN, PUBLISHED = 501, 502
PERSON_CASE, PERSON_ITEM = 601, 6011


def case_payload(pk: int, uscc: str, name: str, state: str, *, version: int = 1,
                 events: list[dict] | None = None, **fields) -> dict:
    case = {"id": pk, "program": "inclusive-2020", "program_kind": "inclusive",
            "refund_year": 2020, "state": state, "route": "application", "size": "small",
            "priority": False, "eligible": True, "amount_fen": 1_000_000, "insured": 25,
            "layoff_rate": "0.0000", "failed": "", "version": version,
            "explanation": "符合条件：2019年实缴失业保险费 10,000.00 元 × 返还比例 100% = 10,000.00 元",
            "state_changed_at": "2020-04-20T09:00:00+08:00", "apply_by": "2020-05-29",
            "remind_on": None, "reminded_on": None, "approved_on": None, "payable_on": None,
            "closed_reason": "", "held_from": "", "hold_kind": "",
            "created_at": "2020-04-20T09:00:00+08:00", "updated_at": "2020-04-20T09:00:00+08:00",
            "account_kind": "bank", "account_masked": "6222****2222", "opened_by_run_id": 1,
            "screening_run_id": 1,
            "unit": {"uscc": uscc, "name": name, "unit_type": "enterprise",
                     "region_code": "360102", "size": "small", "contact_phone": "13800138000",
                     "bank_name": "中国工商银行南昌分行", "account_kind": "bank",
                     "account_masked": "6222****2222"},
            "events": events or [event_payload(pk * 10, "opened", "", state)]}
    return {**case, **fields}


def event_payload(pk: int, action: str, before: str, after: str) -> dict:
    return {"id": pk, "at": "2020-04-20T09:00:00+08:00", "action": action, "state_before": before,
            "state_after": after, "reason": "", "channel": "system", "amount_before_fen": None,
            "amount_after_fen": None, "actor_label": ""}


def letters_payload() -> dict:
    text = CommitmentText.objects.get(version="2020-1")
    return {"texts": [{"version": text.version, "title": text.title, "text": text.text,
                       "sha256": text.sha256, "valid_from": text.valid_from.isoformat(),
                       "program": text.program}]}


def person_case_payload(*, state: str = "notified", digest: str,
                        items: list[dict] | None = None, events: list[dict] | None = None,
                        **fields) -> dict:
    """The trainee's case as the intranet sends it (``digest``: the blind index of the ID)."""
    case = {"id": PERSON_CASE, "program": "training-online-2020", "program_kind": "training",
            "refund_year": 2020, "state": state, "route": "automatic", "size": "unknown",
            "priority": False, "eligible": True, "amount_fen": 57_600, "insured": None,
            "layoff_rate": None, "failed": "", "version": 1, "explanation": ITEM_EXPLANATION,
            "state_changed_at": "2020-04-20T09:00:00+08:00", "apply_by": None,
            "remind_on": None, "reminded_on": None, "approved_on": None, "payable_on": None,
            "closed_reason": "", "held_from": "", "hold_kind": "",
            "created_at": "2020-04-20T09:00:00+08:00", "updated_at": "2020-04-20T09:00:00+08:00",
            "account_kind": "si", "account_masked": "6217****5678", "opened_by_run_id": 1,
            "screening_run_id": 1,
            "person": {"resident_id_digest": digest, "name": "张*丰", "phone": PERSON_PHONE,
                       "region_code": "360102", "account_kind": "si",
                       "account_masked": "6217****5678",
                       "resident_id_masked": "360102********9014"},
            "items": [claim_item_payload(PERSON_ITEM, 57_600)] if items is None else items,
            "events": events or [{"id": PERSON_CASE * 10, "at": "2020-04-20T09:00:00+08:00",
                                  "action": "opened", "state_before": "", "state_after": state,
                                  "reason": "", "channel": "system", "amount_before_fen": None,
                                  "amount_after_fen": None, "actor_label": ""}]}
    return {**case, **fields}


def claim_item_payload(pk: int, amount_fen: int, explanation: str = ITEM_EXPLANATION) -> dict:
    return {"id": pk, "program": "training-online-2020", "subject": "certificate",
            "amount_fen": amount_fen, "dated": "2020-03-02", "explanation": explanation,
            "created_at": "2020-04-20T09:00:00+08:00", "run_id": 1}
