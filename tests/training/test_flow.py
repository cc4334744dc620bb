"""Training subsidies through the one workflow: a person screening loaded into persons, cases
and claim items, then notice, review, publicity, payment to the card account and the bank's
return; 以工代训 as a unit case of person-months; a record never paid twice."""

import csv
import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import import_module
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.db import IntegrityError, transaction
from django.test import Client

from tests.payments.returns import csv_return, outcome_rows
from wengang.accounts.models import Role, User
from wengang.cases import loading_persons, workflow
from wengang.cases.errors import ResultError, RunRecordError
from wengang.cases.loading import load_screening
from wengang.cases.loading_persons import load_person_screening
from wengang.cases.models import (
    Action,
    Case,
    CaseEvent,
    ClaimItem,
    Person,
    PublicityListing,
    RescreenFlag,
    Route,
    State,
    Unit,
)
from wengang.cases.publicity import close_publicity, open_publicity
from wengang.cases.review import approve_batch, open_review_batches
from wengang.cases.sealing import resident_id_digest
from wengang.core.clock import clock
from wengang.payments import services
from wengang.payments.models import PayingAccount, Payment, Receivable
from wengang.policy import load_policy
from wengang.screening import folder_source
from wengang.screening.persons import screen_persons
from wengang.stats.models import CaseCount, PaymentCount, ReceivableCount
from wengang.stats.refresh import refresh

from .builder import person_id, unit_uscc, write_training_feeds

pytestmark = pytest.mark.django_db

CITY = "360100"
CERT = "training-certificate-2024"
ONJOB = "training-onjob-2020"
CARD = "6214830791234567"  # the builder's social-security card account


@cache
def shipped_policy():
    return load_policy()


@pytest.fixture(autouse=True)
def policy_read_once(monkeypatch):
    monkeypatch.setattr(loading_persons, "load_policy", shipped_policy)


@dataclass
class People:
    agency: User
    finance: User
    other_city: User


@pytest.fixture
def people(db) -> People:
    def user(name, role, region=CITY, department=""):
        return User.objects.create_user(name, password=None, role=role, region_code=region,
                                        department=department)
    return People(agency=user("officer", Role.AGENCY),
                  finance=user("finance", Role.FINANCE, department="finance"),
                  other_city=user("officer-jdz", Role.AGENCY, "360200"))


def screen(folder: Path, out: Path, *, programs: list[str], as_of: date) -> Path:
    with screen_persons(folder_source(folder), programs=programs, as_of=as_of,
                        region_code=CITY) as run:
        run.write(out)
    return out


CERTIFICATES = {
    "trainees": [{"id": "A"}, {"id": "B"}],
    "certificates": [
        {"id": "ZS-1", "person": "A", "level": 4, "issued_on": "2024-03-01"},
        {"id": "ZS-2", "person": "A", "level": 3, "occupation": "4-01-02-01",
         "issued_on": "2024-05-01"},
        {"id": "ZS-3", "person": "B", "level": 5, "issued_on": "2024-03-15"}],
}


def case_of(alias: str, program: str = CERT) -> Case:
    return Case.objects.select_related("person").get(
        person__resident_id_digest=resident_id_digest(person_id(alias)), program=program)


def test_a_trainee_is_paid_from_certificate_to_bank_return(tmp_path, people):
    folder = write_training_feeds(tmp_path / "feeds", CERTIFICATES)
    result = screen(folder, tmp_path / "persons.csv", programs=[CERT], as_of=date(2024, 6, 1))
    with clock.frozen(date(2024, 6, 3)):
        summary = load_person_screening(result, actor=people.agency)
    assert (summary.rows, summary.eligible_rows, summary.persons_created, summary.opened,
            summary.items_added) == (3, 3, 2, 2, 3)

    case = case_of("A")
    person = case.person
    assert (case.state, case.route, case.program_kind, case.refund_year, case.beneficiary_kind) \
        == (State.SCREENED, Route.AUTOMATIC, "training", 2024, "person")
    assert case.amount_fen == 150_000 + 200_000 == sum(i.amount_fen for i in case.items.all())
    assert [i.record for i in case.items.order_by("dated")] == ["ZS-1", "ZS-2"]
    assert case.explanation.splitlines() == [i.explanation for i in case.items.order_by("dated")]
    assert (person.name, person.name_masked, case.beneficiary_name_masked) == ("学员A", "学*A", "学*A")
    assert person.resident_id() == person_id("A")
    assert person.resident_id_masked == person_id("A")[:6] + "********" + person_id("A")[-4:]
    assert (case.account_masked, case.account_number()) == ("****4567", CARD)
    assert case.contact_phone() == "13700137000"
    (opened,) = CaseEvent.objects.for_case(case)
    assert (opened.action, opened.amount_after_fen) == (Action.OPENED, 350_000)

    with clock.frozen(date(2024, 6, 3)):
        assert workflow.notify_many(Case.objects.all(), actor=people.agency) == 2
        (batch,) = open_review_batches(actor=people.agency, region_code=CITY, program=CERT)
        assert batch.departments == []  # the agency's own review for training subsidies
        assert approve_batch(batch, actor=people.agency) == 2
        publicity = open_publicity(actor=people.agency, region_code=CITY, program=CERT)
    listing = PublicityListing.objects.get(batch=publicity, case=case)
    assert (listing.name, listing.code, listing.amount_fen) == ("学*A", "", 350_000)
    with clock.frozen(publicity.start_on):  # the public objection page shows the listed row
        page = Client().get(f"/publicity/{case.pk}/objection/")
    assert page.status_code == 200 and "学*A · " in page.content.decode()
    assert "学员A" not in page.content.decode() and "（）" not in page.content.decode()

    with clock.frozen(publicity.end_on + timedelta(days=1)):
        assert close_publicity(publicity, actor=people.agency) == 2
        PayingAccount.objects.create(region_code=CITY, holder_name="南昌市就业创业服务中心",
                                     account_number="36050100000000009999", bank_name="建设银行")
        services.allocate(region_code=CITY, program=CERT, year=2024, amount_fen=10_000_000,
                          actor=people.finance, note="技能提升补贴预算")
        (built,) = services.build_batches(actor=people.agency, region_code=CITY,
                                          program=CERT).batches
        services.approve_batch(built, actor=people.finance)
        export = services.export_batch(built, actor=people.agency, out_dir=tmp_path / "out")
        bank_csv = export.csv_path.read_text(encoding="utf-8")
        assert "学员A" in bank_csv and CARD in bank_csv and "失业保险培训补贴" in export.xml_path.read_text(encoding="utf-8")
        assert person_id("A") not in bank_csv and person_id("A") not in export.xml_path.read_text(encoding="utf-8")
        payment = Payment.objects.get(case=case)
        assert (payment.person_id, payment.unit_id, payment.payee_name, payment.payee_name_masked) \
            == (person.pk, None, "学员A", "学*A")
        built.refresh_from_db()
        report = services.apply_return(csv_return(built, outcome_rows(built)), name="回单",
                                       actor=people.agency)
        assert report.paid_count == 2
        assert Case.objects.get(pk=case.pk).state == State.PAID

        receivable = services.raise_receivable(
            Case.objects.get(pk=case.pk), actor=people.agency, source=Receivable.Source.AUDIT_FINDING,
            amount_fen=50_000, reason="证书被注销", due_on=date(2024, 12, 31))
    assert (receivable.person_id, receivable.unit_id, receivable.debtor_name_masked) \
        == (person.pk, None, "学*A")

    # The API lists a person's payment and receivable as the console does: no USCC, name masked.
    api = Client()
    api.force_login(people.agency)
    payments = api.get(f"/api/payments/batches/{built.pk}").json()["payments"]
    assert {(p["uscc"], p["unit_name"]) for p in payments} == {("", "学*A"), ("", "学*B")}
    (listed,) = api.get("/api/payments/receivables").json()["items"]
    assert (listed["id"], listed["uscc"], listed["unit_name"]) == (receivable.pk, "", "学*A")
    proposal = api.post(f"/api/payments/receivables/{receivable.pk}/write-off-proposals",
                        {"amount_fen": 50_000, "reason": "学员已去世，无法追回"},
                        content_type="application/json")
    assert proposal.status_code == 200, proposal.content
    assert (proposal.json()["uscc"], proposal.json()["unit_name"]) == ("", "学*A")
    assert "学员A" not in api.get("/api/payments/receivables").content.decode()

    # The refund statistics leave training money out (another fund); a refund still counts.
    unit = Unit.objects.create(uscc=unit_uscc("U9"), name="单位U9", unit_type="enterprise",
                               region_code="360102", updated_at=case.created_at)
    Case.objects.create(unit=unit, program="inclusive-2020", program_kind="inclusive",
                        refund_year=2020, route=Route.AUTOMATIC, size="small", amount_fen=12_300,
                        explanation="符合条件", opened_by_run=case.opened_by_run,
                        screening_run=case.opened_by_run, state_changed_at=case.created_at,
                        created_at=case.created_at, updated_at=case.created_at)
    with clock.frozen(publicity.end_on + timedelta(days=2)):
        refresh()
    assert [(c.program, c.cases, c.eligible_fen) for c in CaseCount.objects.all()] \
        == [("inclusive-2020", 1, 12_300)]
    assert not PaymentCount.objects.exists() and not ReceivableCount.objects.exists()


def test_a_later_run_adds_new_certificates_and_never_pays_one_twice(tmp_path, people):
    folder = write_training_feeds(tmp_path / "feeds", CERTIFICATES)
    first = screen(folder, tmp_path / "first.csv", programs=[CERT], as_of=date(2024, 4, 1))
    with clock.frozen(date(2024, 4, 2)):
        load_person_screening(first)
    case = case_of("A")
    assert (case.amount_fen, case.items.count()) == (150_000, 1)  # ZS-2 was not issued yet

    second = screen(folder, tmp_path / "second.csv", programs=[CERT], as_of=date(2024, 6, 1))
    with clock.frozen(date(2024, 6, 3)):
        summary = load_person_screening(second)
        assert load_person_screening(second).already_loaded
    assert (summary.opened, summary.updated, summary.items_added, summary.items_known) \
        == (0, 1, 1, 2)
    case.refresh_from_db()
    assert (case.amount_fen, case.version) == (350_000, 2)
    assert ClaimItem.objects.filter(record="ZS-1").count() == 1
    rescreened = CaseEvent.objects.for_case(case).get(action=Action.RESCREENED)
    assert (rescreened.amount_before_fen, rescreened.amount_after_fen) == (150_000, 350_000)


def test_an_approved_case_is_never_changed_by_a_later_run_but_flagged(tmp_path, people):
    folder = write_training_feeds(tmp_path / "feeds", CERTIFICATES)
    first = screen(folder, tmp_path / "first.csv", programs=[CERT], as_of=date(2024, 4, 1))
    with clock.frozen(date(2024, 4, 2)):
        load_person_screening(first)
        workflow.notify_many(Case.objects.all(), actor=people.agency)
        (batch,) = open_review_batches(actor=people.agency, region_code=CITY, program=CERT)
        approve_batch(batch, actor=people.agency)
    second = screen(folder, tmp_path / "second.csv", programs=[CERT], as_of=date(2024, 6, 1))
    with clock.frozen(date(2024, 6, 3)):
        summary = load_person_screening(second)
    case = case_of("A")
    assert (case.state, case.amount_fen, case.items.count()) == (State.APPROVED, 150_000, 1)
    assert (summary.items_added, summary.items_deferred, summary.flagged) == (0, 1, 1)
    flag = RescreenFlag.objects.get(case=case)
    assert (flag.amount_before_fen, flag.amount_after_fen) == (150_000, 350_000)
    assert "ZS-2" not in flag.explanation_after and "2000.00" in flag.explanation_after.replace(",", "")


def test_the_database_refuses_a_second_item_for_the_same_certificate(tmp_path, people):
    folder = write_training_feeds(tmp_path / "feeds", CERTIFICATES)
    result = screen(folder, tmp_path / "persons.csv", programs=[CERT], as_of=date(2024, 6, 1))
    with clock.frozen(date(2024, 6, 3)):
        load_person_screening(result)
    item = ClaimItem.objects.get(record="ZS-1")
    other = case_of("B")
    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimItem.objects.create(case=other, program=CERT, subject=item.subject, record="ZS-1",
                                 person=other.person, amount_fen=100_000, dated=item.dated,
                                 item_key="ZS-1", explanation="重复", run=item.run,
                                 created_at=item.created_at)
    # Below the key: another certificate number is another item.
    ClaimItem.objects.create(case=other, program=CERT, subject=item.subject, record="ZS-9",
                             person=other.person, amount_fen=100_000, dated=item.dated,
                             item_key="ZS-9", explanation="另一证书", run=item.run,
                             created_at=item.created_at)


@pytest.mark.parametrize(("subject", "level", "kept"), [
    ("certificate", 1, True), ("certificate", 5, True), ("certificate", None, True),
    ("certificate", 0, False), ("certificate", 6, False),
    ("course_completion", None, True), ("course_completion", 4, False),
    ("roster_month", 3, False)])
def test_the_database_keeps_a_level_only_on_a_certificate_and_only_1_to_5(
        tmp_path, people, subject, level, kept):
    folder = write_training_feeds(tmp_path / "feeds", CERTIFICATES)
    result = screen(folder, tmp_path / "persons.csv", programs=[CERT], as_of=date(2024, 6, 1))
    with clock.frozen(date(2024, 6, 3)):
        load_person_screening(result)
    item = ClaimItem.objects.get(record="ZS-1")
    item.subject, item.level = subject, level
    if kept:
        item.save()
        assert ClaimItem.objects.get(pk=item.pk).level == level
    else:
        with pytest.raises(IntegrityError), transaction.atomic():
            item.save()


def test_items_loaded_before_levels_were_kept_get_theirs_from_their_explanation(tmp_path, people):
    """The migration that added ``level``: an item without one reads it from what screening
    wrote ("… 4 级证书 …"); a person-month keeps none; a level already kept is not touched."""
    migration = import_module("wengang.cases.migrations.0010_claim_item_level")
    for feeds, program, as_of in ((CERTIFICATES, CERT, date(2024, 6, 1)),
                                  (ROSTERS, ONJOB, date(2020, 12, 31))):
        folder = write_training_feeds(tmp_path / program, feeds)
        result = screen(folder, tmp_path / f"{program}.csv", programs=[program], as_of=as_of)
        with clock.frozen(as_of + timedelta(days=3)):
            load_person_screening(result)
    loaded = dict(ClaimItem.objects.values_list("pk", "level"))
    assert {level for level in loaded.values()} == {3, 4, 5, None}
    ClaimItem.objects.update(level=None)
    ClaimItem.objects.filter(record="ZS-3").update(level=1)  # kept: not read again
    migration.levels_from_explanations(django_apps, schema_editor=None)
    again = dict(ClaimItem.objects.values_list("pk", "level"))
    zs3 = ClaimItem.objects.get(record="ZS-3").pk
    assert again == {**loaded, zs3: 1}


ROSTERS = {
    "trainees": [{"id": "A"}, {"id": "B"}],
    "units": [{"id": "U1"}],
    "rosters": [{"unit": "U1", "person": "A", "from": "2020-02", "to": "2020-04"},
                {"unit": "U1", "person": "B", "months": ["2020-03"]}],
}


def test_on_the_job_training_is_a_unit_case_of_person_months(tmp_path, people):
    folder = write_training_feeds(tmp_path / "feeds", ROSTERS)
    result = screen(folder, tmp_path / "persons.csv", programs=[ONJOB], as_of=date(2020, 12, 31))
    with clock.frozen(date(2021, 1, 4)):
        summary = load_person_screening(result)
    assert (summary.units_created, summary.opened, summary.items_added) == (1, 1, 4)
    case = Case.objects.select_related("unit").get(program=ONJOB)
    assert (case.beneficiary_kind, case.unit.uscc, case.person_id) == ("unit", unit_uscc("U1"), None)
    assert (case.beneficiary_name_masked, case.amount_fen, case.refund_year) == ("单位U1", 200_000, 2020)
    months = [(i.person.name, i.dated) for i in case.items.select_related("person").order_by("dated", "person__name")]
    assert months == [("学员A", date(2020, 2, 1)), ("学员A", date(2020, 3, 1)),
                      ("学员B", date(2020, 3, 1)), ("学员A", date(2020, 4, 1))]
    assert case.contact_phone() == "13800138000"
    assert Person.objects.count() == 2 and Unit.objects.count() == 1


def test_region_scoping_and_a_person_sees_only_their_own(tmp_path, people):
    folder = write_training_feeds(tmp_path / "feeds", CERTIFICATES)
    result = screen(folder, tmp_path / "persons.csv", programs=[CERT], as_of=date(2024, 6, 1))
    with clock.frozen(date(2024, 6, 3)):
        load_person_screening(result)
    assert Case.objects.in_region("360102").count() == 2
    assert Case.objects.in_region("360100").count() == 2
    assert Case.objects.in_region("360103").count() == 0  # a sibling county
    assert Case.objects.visible_to(people.other_city).count() == 0
    a = User(username="person-a", role="person", resident_id_digest=resident_id_digest(person_id("A")))
    assert list(Case.objects.visible_to(a)) == [case_of("A")]
    nobody = User(username="person-x", role="person", resident_id_digest="")
    assert not Case.objects.visible_to(nobody).exists()
    with pytest.raises(workflow.OutsideRegion):
        workflow.change_account(case_of("A"), actor=people.other_city, account="6222000011112222",
                                reason="换卡")


def test_loaders_refuse_each_other_s_results(tmp_path, people):
    folder = write_training_feeds(tmp_path / "feeds", CERTIFICATES)
    result = screen(folder, tmp_path / "persons.csv", programs=[CERT], as_of=date(2024, 6, 1))
    with pytest.raises(RunRecordError) as refused:
        load_screening(result)
    assert "load-persons" in refused.value.en
    rows = list(csv.DictReader(result.open(encoding="utf-8")))
    assert rows and not Case.objects.exists()


@pytest.mark.parametrize(("column", "value", "refusal"), [
    ("amount", "100", "amount must be yuan with 2 decimals"),
    ("subject", "diploma", "unknown subject"),
    ("resident_id", "36010219900101", "resident ID missing or not 18 characters"),
    ("region_code", "3601", "region code is not 6 digits"),
])
def test_a_person_result_that_breaks_the_contract_is_refused_whole_naming_the_record(
        tmp_path, people, column, value, refusal):
    folder = write_training_feeds(tmp_path / "feeds", CERTIFICATES)
    result = screen(folder, tmp_path / "persons.csv", programs=[CERT], as_of=date(2024, 6, 1))
    with result.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields, rows = reader.fieldnames, list(reader)
    shown = dict(rows[1])
    rows[1][column] = value
    with result.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    # The run record vouches for the edited file: only the row checks can refuse it.
    record_path = result.with_name("persons.run.json")
    record = json.loads(record_path.read_text(encoding="utf-8"))
    record["output"]["sha256"] = hashlib.sha256(result.read_bytes()).hexdigest()
    record_path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")

    with pytest.raises(ResultError) as refused:
        load_person_screening(result)

    assert refusal in refused.value.en and f"{shown['program']} {shown['record']}" in refused.value.en
    assert shown["resident_id"] not in refused.value.zh + refused.value.en
    assert not Case.objects.exists() and not Person.objects.exists()
