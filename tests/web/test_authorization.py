"""The authorization matrix: every URL of the URLconf × every kind of user → allowed or denied.

The rule table below is the specification. URLs are listed from the URLconf itself, so a new
page without a rule fails ``test_every_url_has_a_rule``. Denied means: sent to a login page, 403,
or 404 (objects outside one's unit or region are not revealed); never the page.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from .conftest import World

pytestmark = pytest.mark.django_db

ACTORS = ("anonymous", "enterprise", "other_enterprise", "agency", "other_agency", "supervisor",
          "department", "finance", "auditor", "service_officer", "admin", "person")
EVERYONE = frozenset(ACTORS)
CONSOLE = frozenset({"agency", "other_agency", "supervisor", "finance", "auditor",
                     "service_officer", "admin"})
BATCHES = frozenset({"agency", "other_agency", "supervisor", "auditor", "admin"})
DECIDERS = frozenset({"agency", "other_agency", "supervisor"})  # the agency's decisions
OFFICERS = frozenset({"agency", "other_agency", "service_officer"})  # service-officer tasks
PAYMENTS = frozenset({"agency", "other_agency", "supervisor", "finance", "auditor", "admin"})
PAYERS = frozenset({"agency", "other_agency", "finance"})  # build, cancel, export, reconcile
OVERSIGHT = frozenset({"agency", "other_agency", "supervisor", "auditor", "admin"})
LOGIN_PATHS = ("/portal/login/", "/console/login/", "/admin/login/", "/me/login/")


@dataclass(frozen=True)
class Rule:
    allowed: frozenset[str]
    kwargs: Callable[[World], dict] = lambda world: {}
    ok: tuple[int, ...] = (200,)
    """What an allowed user gets: the page, or 405 for a POST-only action, or a redirect."""


RULES: dict[str, Rule] = {
    "web:public-home": Rule(EVERYONE),
    # Gateways post receipts (GET is refused); a short link redirects without a lookup.
    "outreach:receipt": Rule(EVERYONE, lambda w: {"gateway": "sms-json"}, ok=(405,)),
    "outreach:short-link": Rule(EVERYONE, lambda w: {"code": "1"}, ok=(302,)),
    "web:public-publicity": Rule(EVERYONE),
    "web:public-policy": Rule(EVERYONE),
    "web:public-publicity-xlsx": Rule(EVERYONE),
    "web:public-objection": Rule(EVERYONE, lambda w: {"pk": w.published_case.pk}),
    "web:enterprise-login": Rule(EVERYONE),
    "web:enterprise-code": Rule(EVERYONE, ok=(302,)),      # no code requested: back to step 1
    "web:staff-login": Rule(EVERYONE),
    "web:staff-totp": Rule(EVERYONE, ok=(302,)),           # no password given: back to step 1
    "web:staff-enrol": Rule(EVERYONE, ok=(302,)),
    # Single sign-on is off unless configured: 404 for everyone here (on: tests/accounts).
    "web:staff-sso": Rule(frozenset()),
    "web:staff-sso-callback": Rule(frozenset()),
    "web:logout": Rule(EVERYONE, ok=(405,)),
    "set_language": Rule(EVERYONE, ok=(302, 204)),
    "admin-login": Rule(EVERYONE, ok=(302,)),               # to the staff login (TOTP)
    "web:portal-home": Rule(frozenset({"enterprise", "other_enterprise"})),
    "web:portal-case": Rule(frozenset({"enterprise"}), lambda w: {"pk": w.own_case.pk}),
    "web:portal-confirm": Rule(frozenset({"enterprise"}), lambda w: {"pk": w.own_case.pk}),
    "web:portal-appeal": Rule(frozenset({"enterprise"}), lambda w: {"pk": w.own_case.pk}),
    "web:portal-late-claim": Rule(frozenset({"enterprise", "other_enterprise"})),
    "web:portal-late-claim-detail": Rule(frozenset({"enterprise"}),
                                         lambda w: {"pk": w.late_claim.pk}),
    "web:portal-inbox": Rule(frozenset({"enterprise", "other_enterprise"})),
    "web:portal-inbox-read": Rule(frozenset({"enterprise", "other_enterprise"}), ok=(405,)),
    "web:portal-notice": Rule(frozenset(), lambda w: {"pk": 1}),  # no notice in the world
    "web:portal-account": Rule(frozenset({"enterprise", "other_enterprise"})),
    # The persons' portal: a trainee, and only their own case (the world has no notice).
    "web:person-login": Rule(EVERYONE),
    "web:person-code": Rule(EVERYONE, ok=(302,)),          # no code requested: back to step 1
    "web:person-home": Rule(frozenset({"person"})),
    "web:person-case": Rule(frozenset({"person"}), lambda w: {"pk": w.person_case().pk}),
    "web:person-inbox": Rule(frozenset({"person"})),
    "web:person-notice": Rule(frozenset(), lambda w: {"pk": 1}),
    "web:person-account": Rule(frozenset({"person"})),
    "outreach:person-short-link": Rule(EVERYONE, lambda w: {"code": "1"}, ok=(302,)),
    "web:console-home": Rule(CONSOLE),
    "web:console-appeals": Rule(CONSOLE),
    "web:console-appeal-answer": Rule(DECIDERS, lambda w: {"pk": 1}, ok=(405,)),
    "web:console-queue": Rule(CONSOLE),
    "web:console-case": Rule(CONSOLE - {"other_agency"}, lambda w: {"pk": w.own_case.pk}),
    # POST only (405 on GET) for every console role; the case's region is checked on POST.
    "web:console-reveal": Rule(CONSOLE, lambda w: {"pk": w.own_case.pk}, ok=(405,)),
    "web:console-batches": Rule(BATCHES),
    "web:console-open-batches": Rule(DECIDERS, ok=(405,)),
    "web:console-batch": Rule(BATCHES - {"other_agency"}, lambda w: {"pk": w.review_batch.pk}),
    "web:console-queue-xlsx": Rule(CONSOLE),
    "web:console-bulk": Rule(DECIDERS, ok=(405,)),
    "web:console-publicity": Rule(BATCHES),
    "web:console-publicity-open": Rule(DECIDERS, ok=(405,)),
    "web:console-publicity-batch": Rule(BATCHES - {"other_agency"},
                                        lambda w: {"pk": w.publicity_batch.pk}),
    "web:console-publicity-close": Rule(DECIDERS, lambda w: {"pk": w.publicity_batch.pk},
                                        ok=(405,)),
    "web:console-objection-resolve": Rule(DECIDERS, lambda w: {"pk": 1}, ok=(405,)),
    "web:console-runs": Rule(CONSOLE),
    "web:console-run": Rule(CONSOLE - {"other_agency"},
                            lambda w: {"pk": w.own_case.screening_run_id}),
    "web:console-screening-start": Rule(DECIDERS, ok=(405,)),
    "web:console-screening-job": Rule(CONSOLE - {"other_agency"},
                                      lambda w: {"pk": w.screening_job.pk}),
    "web:policy-programs": Rule(CONSOLE),
    "web:policy-program": Rule(CONSOLE, lambda w: {"program_id": "inclusive-2020"}),
    "web:console-what-if": Rule(DECIDERS),
    "web:console-service-tasks": Rule(CONSOLE),
    "web:console-service-task-take": Rule(OFFICERS, lambda w: {"pk": 1}, ok=(405,)),
    "web:console-service-task-complete": Rule(OFFICERS, lambda w: {"pk": 1}, ok=(405,)),
    # A download exists only for the session that ran the simulation: 404 for everyone here.
    "web:console-what-if-xlsx": Rule(frozenset(), lambda w: {"token": "none"}),
    "web:console-payments": Rule(PAYMENTS),
    "web:console-payments-allocate": Rule(frozenset({"finance"}), ok=(405,)),
    "web:console-payments-build": Rule(PAYERS, ok=(405,)),
    "web:console-payment-batch": Rule(PAYMENTS - {"other_agency"},
                                      lambda w: {"pk": w.payment_batch.pk}),
    "web:console-payment-batch-approve": Rule(frozenset({"finance"}),
                                              lambda w: {"pk": w.payment_batch.pk}, ok=(405,)),
    "web:console-payment-batch-cancel": Rule(PAYERS, lambda w: {"pk": w.payment_batch.pk},
                                             ok=(405,)),
    "web:console-payment-batch-export": Rule(PAYERS, lambda w: {"pk": w.payment_batch.pk},
                                             ok=(405,)),
    # A draft batch has no bank file yet: 404 for everyone (downloads: test_payments_console).
    "web:console-payment-bank-file": Rule(frozenset(), lambda w: {"pk": w.payment_batch.pk,
                                                                  "kind": "csv"}),
    "web:console-payment-returns": Rule(PAYMENTS),
    "web:console-payments-failed": Rule(PAYMENTS),
    "web:console-payments-failed-xlsx": Rule(PAYMENTS),
    "web:console-account-changes": Rule(PAYMENTS),
    "web:console-account-change-decide": Rule(frozenset({"agency", "other_agency"}),
                                              lambda w: {"pk": 1}, ok=(405,)),
    "web:console-receivables": Rule(PAYMENTS),
    "web:console-receivable-repay": Rule(frozenset({"agency", "other_agency"}),
                                         lambda w: {"pk": 1}, ok=(405,)),
    "web:console-receivable-write-off": Rule(frozenset({"agency", "other_agency"}),
                                             lambda w: {"pk": 1}, ok=(405,)),
    "web:console-write-off-decide": Rule(frozenset({"finance"}), lambda w: {"pk": 1}, ok=(405,)),
    "web:console-risk-holds": Rule(OVERSIGHT),
    "web:console-risk-holds-sweep": Rule(DECIDERS, ok=(405,)),
    "web:console-risk-hold-clear": Rule(DECIDERS, lambda w: {"pk": 1}, ok=(405,)),
    "web:console-samples": Rule(OVERSIGHT),
    "web:console-sample": Rule(OVERSIGHT - {"other_agency"}, lambda w: {"pk": w.sample_plan.pk}),
    "web:console-sample-xlsx": Rule(OVERSIGHT - {"other_agency"},
                                    lambda w: {"pk": w.sample_plan.pk}),
    "web:console-sample-item-reveal": Rule(OVERSIGHT, lambda w: {"pk": 1}, ok=(405,)),
    "web:console-sample-item-finding": Rule(frozenset({"auditor"}), lambda w: {"pk": 1},
                                            ok=(405,)),
    "web:console-finding-claim": Rule(frozenset({"agency", "other_agency"}), lambda w: {"pk": 1},
                                      ok=(405,)),
    "web:feed-upload": Rule(frozenset({"agency", "other_agency", "department"})),
    "web:review-tasks": Rule(frozenset({"department", "finance"})),
    "web:review-task": Rule(frozenset({"department"}), lambda w: {"pk": w.tax_task.pk}),
    # Statistics (stats/): dashboards for the console, the department view for reviewers too.
    "stats:overview": Rule(CONSOLE),
    "stats:public": Rule(EVERYONE),  # headline figures: counts and sums only
    "stats:operations": Rule(CONSOLE),
    "stats:training": Rule(CONSOLE),  # the training subsidies: totals only, never a person
    "stats:departments": Rule(CONSOLE | {"department"}),
    "stats:chart-xlsx": Rule(CONSOLE, lambda w: {"chart": "region"}),
    "stats:refresh": Rule(DECIDERS | {"admin"}, ok=(405,)),
    "stats:monthly-pdf": Rule(CONSOLE, lambda w: {"month": "2020-04"}),
    "stats:monthly-xlsx": Rule(CONSOLE, lambda w: {"month": "2020-04"}),
    "stats:publicity-pdf": Rule(BATCHES - {"other_agency"}, lambda w: {"pk": w.publicity_batch.pk}),
    "stats:publicity-xlsx": Rule(BATCHES - {"other_agency"},
                                 lambda w: {"pk": w.publicity_batch.pk}),
    "stats:rollups": Rule(frozenset({"supervisor", "admin"})),
    # The admin has no region to export; with no statistics computed yet the supervisor is
    # sent back to the roll-up page with the reason.
    "stats:rollup-export": Rule(frozenset({"supervisor"}), ok=(302,)),
}
ADMIN_ONLY = frozenset({"admin"})  # every "admin:…" URL: Django's admin, for the admin role


def _urls(patterns=None, namespace: str = "", prefix: str = ""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from _urls(pattern.url_patterns, inner, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield namespace + (pattern.name or ""), prefix + str(pattern.pattern)


def _client(world: World, actor: str) -> Client:
    client = Client()
    if world.users[actor] is not None:
        client.force_login(world.users[actor])
    return client


def _denied(response) -> bool:
    if response.status_code in (403, 404):
        return True
    # The admin's logout sends a non-admin to the admin index, which sends them to log in.
    return response.status_code == 302 and (response["Location"].startswith(LOGIN_PATHS)
                                            or response["Location"] == "/admin/")


def test_every_url_has_a_rule():
    # "api:…" operations have their own matrix, from the OpenAPI document (tests/api).
    missing = [name or path for name, path in _urls()
               if name not in RULES and not name.startswith(("admin:", "api:"))]
    assert missing == [], f"URLs without an authorization rule: {missing}"


@pytest.mark.parametrize("actor", ACTORS)
def test_each_user_reaches_exactly_the_pages_of_its_rules(world, actor):
    client = _client(world, actor)
    wrong = []
    for name, rule in RULES.items():
        url = reverse(name, kwargs=rule.kwargs(world))
        response = client.get(url)
        if actor in rule.allowed:
            if response.status_code not in rule.ok:
                wrong.append(f"{name}: allowed, got {response.status_code}")
        elif not _denied(response):
            wrong.append(f"{name}: denied, got {response.status_code}")
    assert wrong == []


def _admin_path(path: str) -> str:
    """A concrete path for an admin pattern (object ids that need not exist)."""
    path = re.sub(r"<path:\w+>", "1", path)
    return "/" + path.replace("(?P<url>.*)$", "anything/")


@pytest.mark.parametrize("actor", [a for a in ACTORS if a not in ADMIN_ONLY])
def test_only_the_admin_role_enters_the_django_admin(world, actor):
    client = _client(world, actor)
    paths = sorted({_admin_path(path) for name, path in _urls() if name.startswith("admin:")}
                   - {"/admin/login/"})
    assert len(paths) > 20
    wrong = [f"{path}: {response.status_code}" for path in paths
             if not _denied(response := client.get(path))]
    assert wrong == []


def test_the_admin_role_enters_the_django_admin(world):
    client = _client(world, "admin")
    assert client.get("/admin/").status_code == 200
    assert client.get(reverse("admin:cases_case_changelist")).status_code == 200


@pytest.mark.parametrize(("name", "data"), [
    ("web:portal-confirm", {"insured": "25", "signatory_name": "张三", "agree": "on"}),
    ("web:portal-appeal", {"reason": "我单位2019年实际参保30人"}),
    ("web:console-bulk", {"action": "hold", "reason": "核查", "cases": "1"}),
    ("web:review-task", {"decision": "agree"}),
    ("web:console-open-batches", {"program": "inclusive-2020"}),
    ("web:console-reveal", {"reason": "电话核实经营状况"}),
    ("web:console-publicity-open", {"program": "inclusive-2020"}),
    ("web:console-publicity-close", {}),
    ("web:console-screening-start", {"snapshot": "0" * 64, "programs": "inclusive-2020",
                                     "as_of": "2020-04-15"}),
])
def test_a_denied_user_cannot_act_by_posting_either(world, name, data):
    from wengang.cases.models import CaseEvent, PublicityBatch, ReviewTask
    from wengang.web.models import Appeal, Disclosure, ScreeningJob

    rule = RULES[name]
    data = {**data, "amount_fen": world.own_case.amount_fen, "version": world.own_case.version}
    events = CaseEvent.objects.count()
    for actor in ACTORS:
        if actor in rule.allowed:
            continue
        response = _client(world, actor).post(reverse(name, kwargs=rule.kwargs(world)), data)
        assert _denied(response), f"{actor}: {response.status_code}"
    assert CaseEvent.objects.count() == events
    assert ReviewTask.objects.filter(status="pending").count() == 3
    assert not Disclosure.objects.exists()
    assert PublicityBatch.objects.filter(status="open").count() == 1
    assert ScreeningJob.objects.count() == 1  # the world's own
    assert not Appeal.objects.exists()
