"""The API's authorization matrix: every operation × every kind of caller → allowed or denied.

The rule table below is the specification. Operations are listed from the OpenAPI document,
so a new operation without a rule fails ``test_every_operation_has_a_rule``. Callers: every
role by browser session, anonymous, an enterprise of another unit, every staff role by a token
with all scopes, a token lacking the operation's scope, an expired and a revoked token.
Denied means 401, 403 or 404 (what lies outside one's unit or region is not revealed); never
the answer, and nothing changes.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tests.web.test_authorization import (
    ACTORS,
    BATCHES,
    CONSOLE,
    DECIDERS,
    EVERYONE,
    OVERSIGHT,
    PAYERS,
    PAYMENTS,
    _urls,
)
from wengang.api.api import api
from wengang.api.models import ApiToken, FeedPush, Scope
from wengang.api.tokens import create_token, revoke_token
from wengang.cases.models import CaseEvent, ReviewTask

from .conftest import ALL_SCOPES, World, bearer

pytestmark = pytest.mark.django_db

STAFF = tuple(actor for actor in ACTORS if actor not in ("anonymous", "enterprise",
                                                          "other_enterprise", "person"))


@dataclass(frozen=True)
class Rule:
    allowed: frozenset[str]
    scope: str | None                       # None: a public operation
    params: Callable[[World], dict] = lambda world: {}
    ok: tuple[int, ...] = (200,)
    body: Callable[[World], dict] = lambda world: {"objections": {}, "note": ""}
    """What a POST sends (JSON); a file upload sends ``UPLOADS[operation]`` instead."""


UPLOADS = {"push_feed": ("tax.csv", b"uscc,year,revenue,total_assets\n"),  # a valid empty feed
           "apply_return_file": ("return.csv", b"not a bank return file\n")}
MUTATING = ("decide_review_task", "push_feed", "confirm_case", "open_review_batches",
            "hold_case", "release_case", "withdraw_case", "allocate_budget",
            "approve_payment_batch", "cancel_payment_batch")
"""Operations whose allowed callers change something here (the others are refused by the
domain: nothing is ready to open, the return file is not one)."""


def confirmation(world: World) -> dict:
    case = world.own_case
    return {"insured": case.insured, "signatory_name": "张三", "amount_fen": case.amount_fen,
            "version": case.version, "agree": True, "read_out": True}


RULES: dict[str, Rule] = {
    "list_cases": Rule(CONSOLE | {"enterprise", "other_enterprise"}, Scope.CASES_READ),
    "get_case": Rule(CONSOLE - {"other_agency"} | {"enterprise"}, Scope.CASES_READ,
                     lambda w: {"case_id": w.own_case.pk}),
    "list_review_batches": Rule(BATCHES, Scope.REVIEW_READ),
    "list_review_tasks": Rule(frozenset({"department", "finance"}), Scope.REVIEW_READ),
    "get_review_task": Rule(frozenset({"department"}), Scope.REVIEW_READ,
                            lambda w: {"task_id": w.tax_task.pk}),
    "decide_review_task": Rule(frozenset({"department"}), Scope.REVIEW_DECIDE,
                               lambda w: {"task_id": w.tax_task.pk}),
    "list_publicity_batches": Rule(BATCHES, Scope.PUBLICITY_READ),
    "list_public_publicity": Rule(EVERYONE, None),
    "list_screening_runs": Rule(CONSOLE, Scope.SCREENING_READ),
    "get_screening_run": Rule(CONSOLE - {"other_agency"}, Scope.SCREENING_READ,
                              lambda w: {"run_id": w.own_case.screening_run_id}),
    # The tax department pushes tax.csv; the agency sends other feeds (403 feed_not_yours).
    "push_feed": Rule(frozenset({"department"}), Scope.FEEDS_PUSH, ok=(201,)),
    "get_feed_inbox": Rule(frozenset({"agency", "other_agency", "department"}), Scope.FEEDS_PUSH),
    "list_inbox": Rule(frozenset({"enterprise", "other_enterprise"}), Scope.CASES_READ),
    "list_late_claims": Rule(CONSOLE | {"enterprise", "other_enterprise"}, Scope.CASES_READ),
    # The enterprise itself, or in person (officer, service officer) with the letter read out.
    "get_commitment_letter": Rule(frozenset({"enterprise", "agency", "service_officer"}),
                                  Scope.CASES_READ, lambda w: {"case_id": w.own_case.pk}),
    "confirm_case": Rule(frozenset({"enterprise", "agency", "service_officer"}),
                         Scope.CASES_CONFIRM, lambda w: {"case_id": w.own_case.pk},
                         body=confirmation),
    # Allowed callers reach the service: the officer's assisted confirmation just made the
    # city's case ready for review (200); elsewhere nothing is ready (409 nothing_to_do), and
    # nothing is approved for publicity anywhere (409).
    "open_review_batches": Rule(DECIDERS, Scope.CASES_DECIDE, ok=(200, 409),
                                body=lambda w: {"program": "inclusive-2020"}),
    "open_publicity": Rule(DECIDERS, Scope.CASES_DECIDE, ok=(409,),
                           body=lambda w: {"program": "inclusive-2020"}),
    "list_payment_batches": Rule(PAYMENTS, Scope.PAYMENTS_READ),
    "get_payment_batch": Rule(PAYMENTS - {"other_agency"}, Scope.PAYMENTS_READ,
                              lambda w: {"batch_id": w.payment_batch.pk}),
    # The world's batch is a draft: no bank file for anyone (downloads: test_payments).
    "download_bank_file": Rule(frozenset(), Scope.PAYMENTS_RECONCILE,
                               lambda w: {"batch_id": w.payment_batch.pk, "kind": "csv"}),
    "apply_return_file": Rule(PAYERS, Scope.PAYMENTS_RECONCILE, ok=(422,)),
    # The console's payments desk. Nothing is payable in the world (409 nothing_to_do); the
    # finance officer tops up the city's budget and approves the empty draft batch, which a
    # payer may then cancel (or, cancelled, not export: 409).
    "list_budgets": Rule(PAYMENTS, Scope.PAYMENTS_READ),
    "allocate_budget": Rule(frozenset({"finance"}), Scope.PAYMENTS_MANAGE,
                            body=lambda w: {"program": "inclusive-2020", "year": 2020,
                                            "amount_fen": 100, "note": "文号"}),
    "build_payment_batches": Rule(PAYERS, Scope.PAYMENTS_MANAGE, ok=(409,),
                                  body=lambda w: {"program": "inclusive-2020"}),
    "approve_payment_batch": Rule(frozenset({"finance"}), Scope.PAYMENTS_MANAGE,
                                  lambda w: {"batch_id": w.payment_batch.pk}, ok=(200, 409),
                                  body=lambda w: {}),
    "cancel_payment_batch": Rule(PAYERS - {"other_agency"}, Scope.PAYMENTS_MANAGE,
                                 lambda w: {"batch_id": w.payment_batch.pk}, ok=(200, 409),
                                 body=lambda w: {"reason": "重复建批"}),
    "export_payment_batch": Rule(PAYERS - {"other_agency"}, Scope.PAYMENTS_MANAGE,
                                 lambda w: {"batch_id": w.payment_batch.pk}, ok=(409,),
                                 body=lambda w: {}),
    # Account changes, receivables, write-offs, service tasks, risk holds, findings: none is
    # in the world (404 for everyone here); the allowed roles act in test_console_operations.
    "list_account_changes": Rule(PAYMENTS, Scope.PAYMENTS_READ),
    "decide_account_change": Rule(frozenset(), Scope.PAYMENTS_MANAGE,
                                  lambda w: {"change_id": 1},
                                  body=lambda w: {"outcome": "reject", "note": "核实不符"}),
    "list_receivables": Rule(PAYMENTS, Scope.PAYMENTS_READ),
    "record_repayment": Rule(frozenset(), Scope.PAYMENTS_MANAGE,
                             lambda w: {"receivable_id": 1},
                             body=lambda w: {"amount_fen": 1, "reference": "缴款单"}),
    "propose_write_off": Rule(frozenset(), Scope.PAYMENTS_MANAGE,
                              lambda w: {"receivable_id": 1},
                              body=lambda w: {"amount_fen": 1, "reason": "单位已注销"}),
    "list_write_offs": Rule(PAYMENTS, Scope.PAYMENTS_READ),
    "decide_write_off": Rule(frozenset(), Scope.PAYMENTS_MANAGE, lambda w: {"proposal_id": 1},
                             body=lambda w: {"outcome": "approve", "note": ""}),
    # Case actions on the case in publicity (the city's): held, released, then withdrawn.
    "hold_case": Rule(DECIDERS - {"other_agency"}, Scope.CASES_DECIDE,
                      lambda w: {"case_id": w.published_case.pk},
                      body=lambda w: {"reason": "风险核查"}),
    "release_case": Rule(DECIDERS - {"other_agency"}, Scope.CASES_DECIDE,
                         lambda w: {"case_id": w.published_case.pk},
                         body=lambda w: {"reason": "核查无误"}),
    "withdraw_case": Rule(DECIDERS - {"other_agency"}, Scope.CASES_DECIDE,
                          lambda w: {"case_id": w.published_case.pk},
                          body=lambda w: {"reason": "单位申请撤回"}),
    # The case in review (the city's) is already in a batch: 409 for each, reported per case.
    "bulk_cases": Rule(DECIDERS - {"other_agency"}, Scope.CASES_DECIDE,
                       body=lambda w: {"action": "open_review", "case_ids": [w.review_case.pk]}),
    "list_service_tasks": Rule(CONSOLE, Scope.CASES_READ),
    "list_appeals": Rule(CONSOLE, Scope.CASES_READ),
    "answer_appeal": Rule(frozenset(), Scope.CASES_DECIDE, lambda w: {"appeal_id": 1},
                          body=lambda w: {"answer": "已核实"}),
    "take_service_task": Rule(frozenset(), Scope.CASES_DECIDE, lambda w: {"task_id": 1},
                              body=lambda w: {}),
    "complete_service_task": Rule(frozenset(), Scope.CASES_DECIDE, lambda w: {"task_id": 1},
                                  body=lambda w: {"note": "已办结"}),
    "list_risk_holds": Rule(OVERSIGHT, Scope.OVERSIGHT_READ),
    # No case of the world has a risk flag: a sweep holds nothing (200).
    "sweep_risk_holds": Rule(DECIDERS, Scope.OVERSIGHT_ACT, body=lambda w: {}),
    "clear_risk_hold": Rule(frozenset(), Scope.OVERSIGHT_ACT, lambda w: {"hold_id": 1},
                            body=lambda w: {"reason": "核查无误"}),
    "list_samples": Rule(OVERSIGHT, Scope.OVERSIGHT_READ),
    # Nothing is payable: a population of none cannot be sampled (400 plan_invalid).
    "draw_sample": Rule(DECIDERS, Scope.OVERSIGHT_ACT,
                        ok=(200, 400),
                        body=lambda w: {"program": "inclusive-2020", "refund_year": 2020,
                                        "method": "simple", "size": 1, "seed": 7,
                                        "auditor_id": w.users["auditor"].pk}),
    "get_sample": Rule(OVERSIGHT - {"other_agency"}, Scope.OVERSIGHT_READ,
                       lambda w: {"plan_id": w.sample_plan.pk}),
    "list_findings": Rule(OVERSIGHT, Scope.OVERSIGHT_READ),
    "record_finding": Rule(frozenset(), Scope.OVERSIGHT_ACT, lambda w: {"item_id": 1},
                           body=lambda w: {"outcome": "confirmed", "note": "核实无误"}),
    "claim_back_finding": Rule(frozenset(), Scope.OVERSIGHT_ACT, lambda w: {"finding_id": 1},
                               body=lambda w: {"due_on": "2020-06-30"}),
    "get_kpis": Rule(CONSOLE, Scope.STATS_READ),
    "get_training_figures": Rule(CONSOLE, Scope.STATS_READ),
}


@dataclass(frozen=True)
class Operation:
    id: str
    method: str
    path: str


def operations() -> list[Operation]:
    document = api.get_openapi_schema()
    return [Operation(op["operationId"], method.upper(), path)
            for path, methods in document["paths"].items() for method, op in methods.items()]


def call(client: Client, operation: Operation, world: World, headers: dict | None = None):
    path = operation.path.format(**RULES[operation.id].params(world))
    if operation.method == "GET":
        return client.get(path, headers=headers)
    if operation.id in UPLOADS:
        name, data = UPLOADS[operation.id]
        upload = SimpleUploadedFile(name, data, content_type="text/csv")
        return client.post(path, {"file": upload}, headers=headers)
    return client.post(path, RULES[operation.id].body(world), content_type="application/json",
                       headers=headers)


def denied(response) -> bool:
    return response.status_code in (401, 403, 404)


def nothing_changed(world: World, events_before: int) -> bool:
    return (CaseEvent.objects.count() == events_before
            and ReviewTask.objects.get(pk=world.tax_task.pk).status == "pending"
            and not FeedPush.objects.filter(outcome="accepted").exists())


def test_every_operation_has_a_rule():
    listed = {operation.id for operation in operations()}
    assert listed - RULES.keys() == set(), "operations without an authorization rule"
    assert RULES.keys() - listed == set(), "rules for operations that no longer exist"


def test_every_api_url_is_an_operation_or_the_public_document():
    """No URL under /api/ escapes the matrix: an operation, the document, its docs or the root."""
    paths = {"/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)
             for name, path in _urls() if name.startswith("api:")}
    documented = set(api.get_openapi_schema()["paths"])
    assert paths - documented == {"/api/openapi.json", "/api/docs", "/api/"}
    assert documented <= paths


def test_the_api_root_shows_nothing(client):
    assert client.get("/api/").status_code == 404  # ninja's anchor for its URLs


def test_every_operation_but_the_public_ones_needs_authentication():
    document = api.get_openapi_schema()
    for path, methods in document["paths"].items():
        for op in methods.values():
            public = RULES[op["operationId"]].scope is None
            assert bool(op.get("security")) is not public, path


def _check(world: World, actor: str, client: Client, headers: dict | None = None) -> list[str]:
    wrong = []
    for operation in operations():
        rule = RULES[operation.id]
        response = call(client, operation, world, headers)
        if actor in rule.allowed:
            if response.status_code not in rule.ok:
                wrong.append(f"{operation.id}: allowed, got {response.status_code} "
                             f"{response.content[:200]!r}")
        elif not denied(response):
            wrong.append(f"{operation.id}: denied, got {response.status_code}")
        elif response["Content-Type"] == "application/json":
            body = response.json()
            if not (body.get("code") and body.get("message_zh") and body.get("message_en")):
                wrong.append(f"{operation.id}: refusal without code and messages: {body}")
    return wrong


@pytest.mark.parametrize("actor", ACTORS)
def test_each_session_reaches_exactly_the_operations_of_its_rules(world, session_for, actor):
    events = CaseEvent.objects.count()
    assert _check(world, actor, session_for(actor)) == []
    decided = actor in RULES["decide_review_task"].allowed
    assert ReviewTask.objects.get(pk=world.tax_task.pk).status == ("agreed" if decided else "pending")
    confirmed = actor in RULES["confirm_case"].allowed
    world.own_case.refresh_from_db()
    # Confirmed: applied, and sent on to review where the same caller may open a batch.
    assert (world.own_case.state != "awaiting_application") is confirmed
    if not any(actor in RULES[operation].allowed for operation in MUTATING):
        assert nothing_changed(world, events)


@pytest.mark.parametrize("actor", STAFF)
def test_each_token_with_every_scope_reaches_what_its_user_may(world, actor):
    _token, secret = create_token(world.users[actor], name="t", scopes=ALL_SCOPES)
    assert _check(world, actor, Client(), bearer(secret)) == []


@pytest.mark.parametrize("operation", [op for op in operations() if RULES[op.id].scope],
                         ids=lambda op: op.id)
def test_a_token_without_the_operations_scope_is_refused(world, operation):
    rule = RULES[operation.id]
    events = CaseEvent.objects.count()
    for actor in sorted(rule.allowed & set(STAFF)):
        scopes = [scope for scope in ALL_SCOPES if scope != rule.scope]
        _token, secret = create_token(world.users[actor], name="t", scopes=scopes)
        response = call(Client(), operation, world, bearer(secret))
        assert response.status_code == 403, (actor, response.content)
        assert response.json()["code"] == "scope_missing"
    assert nothing_changed(world, events)


@pytest.mark.parametrize("how", ["expired", "revoked", "unknown"])
def test_an_expired_revoked_or_unknown_token_is_refused_everywhere(world, how):
    user = world.users["department"]  # allowed nearly everywhere a token is
    token, secret = create_token(user, name="t", scopes=ALL_SCOPES,
                                 now=timezone.now() - timedelta(days=2), lifetime=timedelta(days=1))
    if how == "revoked":
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() + timedelta(days=1))
        revoke_token(token)
    elif how == "unknown":
        secret = secret.replace(token.key_id, "0" * 16)
    events = CaseEvent.objects.count()
    for operation in operations():
        if RULES[operation.id].scope is None:
            continue
        response = call(Client(), operation, world, bearer(secret))
        assert response.status_code == 401, operation.id
        assert response.json()["code"] == {"expired": "token_expired", "revoked": "token_revoked",
                                           "unknown": "token_invalid"}[how]
    assert nothing_changed(world, events)


def test_a_bad_token_is_not_replaced_by_the_session(world, session_for):
    client = session_for("department")
    response = client.get("/api/review/tasks", headers=bearer("wg_0000000000000000_nope"))
    assert response.status_code == 401


def test_a_session_must_send_the_csrf_token_to_act(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["department"])
    response = client.post(f"/api/review/tasks/{world.tax_task.pk}/decision", {},
                           content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "csrf"
    assert ReviewTask.objects.get(pk=world.tax_task.pk).status == "pending"


def test_a_token_needs_no_csrf_token(world):
    _token, secret = create_token(world.users["department"], name="t", scopes=["review:decide"])
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"/api/review/tasks/{world.tax_task.pk}/decision", {},
                           content_type="application/json", headers=bearer(secret))
    assert response.status_code == 200
