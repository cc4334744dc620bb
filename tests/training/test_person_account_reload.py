"""A later run that finds a trainee with a new social-security card account: their open,
never-approved cases take it (event ``account_changed``); an approved case keeps its account
(frozen; a verified account change is the way to move it), and nothing else is touched."""

from datetime import date

import pytest

from wengang.cases import loading_persons, workflow
from wengang.cases.loading_persons import load_person_screening
from wengang.cases.models import Action, Case, CaseEvent, Person, State
from wengang.cases.review import approve_batch, open_review_batches
from wengang.core.clock import clock

from .builder import write_training_feeds
from .test_flow import CARD, CERT, CITY, case_of, people, screen, shipped_policy  # noqa: F401

pytestmark = pytest.mark.django_db

NEW_CARD = "6214830799990000"
CERTIFICATES = [{"id": "ZS-1", "person": "A", "level": 4, "issued_on": "2024-03-01"},
                {"id": "ZS-3", "person": "B", "level": 5, "issued_on": "2024-03-15"}]


@pytest.fixture(autouse=True)
def policy_read_once(monkeypatch):
    monkeypatch.setattr(loading_persons, "load_policy", shipped_policy)


def run(tmp_path, name: str, *, account_of_a: str, day: date):
    """Screen and load the two trainees, A with ``account_of_a`` on their card."""
    folder = write_training_feeds(tmp_path / name, {
        "trainees": [{"id": "A", "account": account_of_a}, {"id": "B"}],
        "certificates": CERTIFICATES})
    result = screen(folder, tmp_path / f"{name}.csv", programs=[CERT], as_of=day)
    with clock.frozen(day):
        return load_person_screening(result)


def account_events(case: Case) -> list[CaseEvent]:
    return list(CaseEvent.objects.for_case(case).filter(action=Action.ACCOUNT_CHANGED))


@pytest.mark.parametrize("state", [State.SCREENED, State.NOTIFIED, State.IN_REVIEW])
def test_a_new_card_account_moves_the_never_approved_cases_with_an_event(
        tmp_path, people, state):  # noqa: F811 — the fixture
    run(tmp_path, "first", account_of_a=CARD, day=date(2024, 6, 3))
    with clock.frozen(date(2024, 6, 3)):
        if state != State.SCREENED:
            workflow.notify_many(Case.objects.all(), actor=people.agency)
        if state == State.IN_REVIEW:
            open_review_batches(actor=people.agency, region_code=CITY, program=CERT)
    before, other_before = case_of("A"), case_of("B")
    assert (before.state, before.account_masked) == (state, "****4567")

    summary = run(tmp_path, "second", account_of_a=NEW_CARD, day=date(2024, 6, 10))
    case = case_of("A")
    assert summary.accounts_changed == 1
    assert (case.state, case.account_masked, case.account_number()) == (state, "****0000",
                                                                         NEW_CARD)
    assert case.version == before.version + 1 and case.amount_fen == before.amount_fen
    (event,) = account_events(case)
    assert (event.state_before, event.state_after, event.run_id, event.actor_id) \
        == (state, state, summary.run_id, None)
    assert event.reason == "重新筛查：社会保障卡账户变化（****4567 → ****0000）"
    assert event.data == {"account_before": "****4567", "account_after": "****0000"}
    assert Person.objects.get(pk=case.person_id).account_masked == "****0000"
    other = case_of("B")  # same card as before: untouched
    assert (other.account_masked, other.version, account_events(other)) \
        == ("****4567", other_before.version, [])


def test_an_approved_case_keeps_its_account_when_the_card_changes(tmp_path, people):  # noqa: F811
    run(tmp_path, "first", account_of_a=CARD, day=date(2024, 6, 3))
    with clock.frozen(date(2024, 6, 3)):
        workflow.notify_many(Case.objects.all(), actor=people.agency)
        (batch,) = open_review_batches(actor=people.agency, region_code=CITY, program=CERT)
        approve_batch(batch, actor=people.agency)
    approved = case_of("A")
    summary = run(tmp_path, "second", account_of_a=NEW_CARD, day=date(2024, 6, 10))
    case = case_of("A")
    assert summary.accounts_changed == 0 and summary.persons_updated == 1
    assert (case.state, case.account_masked, case.version) \
        == (State.APPROVED, "****4567", approved.version)
    assert account_events(case) == []
    assert Person.objects.get(pk=case.person_id).account_masked == "****0000"  # on record


def test_the_same_card_or_none_in_the_feed_changes_no_case(tmp_path):
    run(tmp_path, "first", account_of_a=CARD, day=date(2024, 6, 3))
    same = run(tmp_path, "same", account_of_a=CARD, day=date(2024, 6, 10))
    assert same.accounts_changed == 0 and same.persons_updated == 0
    gone = run(tmp_path, "gone", account_of_a="", day=date(2024, 6, 17))
    case = case_of("A")
    assert gone.accounts_changed == 0 and gone.persons_updated == 1
    assert (case.account_masked, case.version, account_events(case)) == ("****4567", 1, [])
