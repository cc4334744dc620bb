"""Encryption at rest: account and resident ID numbers never appear in clear in any table, open
through the application, stay searchable by blind index, and survive a key rotation."""

import secrets

import pytest
from django.apps import apps
from django.db import connection

from wengang.accounts.models import Role, User
from wengang.cases import sealing
from wengang.cases.errors import FieldKeyError
from wengang.cases.models import AccountKind, Case, Person, State, Unit, sealed_account_fields
from wengang.cases.models.common import sealed_resident_id_fields
from wengang.core.ids import resident_id_check_char
from wengang.oversight import findings, persons, rotation, sampling
from wengang.oversight.errors import NotAllowed
from wengang.oversight.models import AuditRecord, CheckedPerson, Method, Outcome
from wengang.payments.models import PayingAccount, Payment, PaymentBatch

pytestmark = pytest.mark.django_db

CITY = "360100"
ACCOUNTS = ("6222000011112222", "6222000033334444", "6222000055556666")


def resident_id(serial: int) -> str:
    first17 = f"36010219900101{serial:03d}"
    return first17 + resident_id_check_char(first17)


PEOPLE = tuple(resident_id(n) for n in (123, 124, 125))


@pytest.fixture(autouse=True)
def fresh_keys(monkeypatch):
    """Each test starts from the deployment's single key, and leaves it so."""
    monkeypatch.delenv(sealing.KEYRING_ENV, raising=False)
    sealing.reset_keys()
    yield
    sealing.reset_keys()


@pytest.fixture
def admin(db) -> User:
    return User.objects.create_user("sysadmin", password=None, role=Role.ADMIN, region_code=CITY)


@pytest.fixture
def sealed_world(people, make_case):
    """Three paid cases with accounts, and the persons an auditor checked at each unit."""
    cases = [make_case(State.PAID, bank_account=number) for number in ACCOUNTS]
    plan = sampling.plan_spot_check(actor=people.agency, auditor=people.auditor,
                                    program="inclusive-2020", refund_year=2020, region_code=CITY,
                                    method=Method.SIMPLE, size=3, seed=1)
    for item, number in zip(plan.items.order_by("case_id"), PEOPLE, strict=True):
        finding = findings.record_finding(people.auditor, item.pk, outcome=Outcome.CONFIRMED,
                                          note="抽查核实")
        persons.record_person(people.auditor, finding.pk, resident_id=number, name="张三",
                              employed=True)
    return cases


def every_stored_text() -> str:
    """Every value of every row of every table holding sealed numbers, as the database has it."""
    texts = []
    tables = [apps.get_model(c.model)._meta.db_table for c in rotation.sealed_columns()]
    with connection.cursor() as cursor:
        for table in (*tables, AuditRecord._meta.db_table):  # the chain records the masked form
            cursor.execute(f"SELECT * FROM {table}")
            texts += [str(value) for row in cursor.fetchall() for value in row]
    return "\n".join(texts)


def assert_nothing_in_clear() -> None:
    stored = every_stored_text()
    for number in (*ACCOUNTS, *PEOPLE, *(p[6:] for p in PEOPLE), *(a[4:] for a in ACCOUNTS)):
        assert number not in stored, number


def round_trip(cases) -> None:
    for case, number in zip(cases, ACCOUNTS, strict=True):
        unit = Unit.objects.get(pk=case.unit_id)
        assert unit.account_number() == number
        assert set(Unit.objects.sharing_account(number)) == {unit}
    for number in PEOPLE:
        (person,) = CheckedPerson.objects.with_resident_id(number).select_related(
            "finding__item__case__unit")
        assert person.resident_id() == number
        assert person.resident_id_masked == number[:6] + "********" + number[-4:]


def test_no_number_is_stored_in_clear_and_each_opens_through_the_application(sealed_world):
    assert_nothing_in_clear()
    round_trip(sealed_world)
    assert AuditRecord.objects.filter(action="spot_check.person").count() == 3


def test_a_rotation_re_seals_everything_and_search_still_works(sealed_world, people, admin,
                                                               monkeypatch):
    original = sealing.current_key_id()
    digests = sorted(Unit.objects.values_list("account_digest", flat=True))
    new_key = secrets.token_hex(32)
    monkeypatch.setenv(sealing.KEYRING_ENV, f"k2027:{new_key},{original}")
    sealing.reset_keys()
    assert sealing.current_key_id() == "k2027"
    round_trip(sealed_world)  # old values open with the old key, still in the ring
    assert rotation.pending()["cases.Unit.account_sealed"] == 3
    assert rotation.pending()["oversight.CheckedPerson.resident_id_sealed"] == 3

    with pytest.raises(NotAllowed):
        rotation.rotate(actor=people.agency)
    assert rotation.pending()["cases.Unit.account_sealed"] == 3
    result = rotation.rotate(actor=admin)
    assert result.resealed["cases.Unit.account_sealed"] == 3
    assert result.resealed["cases.Case.account_sealed"] == 3
    assert result.resealed["oversight.CheckedPerson.resident_id_sealed"] == 3
    assert set(rotation.pending().values()) == {0}
    assert_nothing_in_clear()
    stored = [value for column in rotation.sealed_columns()
              for value in apps.get_model(column.model)._base_manager.exclude(
                  **{column.column: ""}).values_list(column.column, flat=True)]
    assert stored and all(value.startswith("sm4gcm1:k2027:") for value in stored)
    assert sorted(Unit.objects.values_list("account_digest", flat=True)) == digests
    round_trip(sealed_world)
    assert AuditRecord.objects.get(action="keys.rotated").details.count("k2027") == 1

    monkeypatch.setenv(sealing.KEYRING_ENV, f"k2027:{new_key}")
    sealing.reset_keys()  # the original key retired: nothing needs it any more
    round_trip(sealed_world)
    assert rotation.rotate(actor=admin).total == 0  # idempotent


def test_a_value_under_a_retired_key_is_refused_by_name(sealed_world, monkeypatch):
    old = Unit.objects.get(pk=sealed_world[0].unit_id)
    monkeypatch.setenv(sealing.KEYRING_ENV, f"k2027:{secrets.token_hex(32)}")
    sealing.reset_keys()
    with pytest.raises(FieldKeyError) as refused:
        old.account_number()
    assert "another key" in refused.value.en and "k2027" in refused.value.en


def test_an_interrupted_rotation_is_finished_by_running_it_again(sealed_world, admin, monkeypatch):
    monkeypatch.setenv(sealing.KEYRING_ENV, f"k2:{secrets.token_hex(32)},{sealing.current_key_id()}")
    sealing.reset_keys()

    class Interrupted(Exception):
        pass

    def stop_after_first_chunk(label, done, total):
        raise Interrupted(label)

    with pytest.raises(Interrupted):
        rotation.rotate(actor=admin, chunk=1, progress=stop_after_first_chunk)
    left = rotation.pending()
    assert left["cases.Unit.account_sealed"] == 2  # the first chunk committed, the rest waits
    assert rotation.rotate(actor=admin, chunk=1).total == sum(left.values())
    assert set(rotation.pending().values()) == {0}
    round_trip(sealed_world)


def test_every_sealed_column_is_rotated():
    """A model with a new kind of sealed column must join ``rotation.sealed_columns``."""
    listed = {(c.model, c.column) for c in rotation.sealed_columns()}
    found = {(model._meta.label, f.name) for model in apps.get_models()
             for f in model._meta.concrete_fields if f.name.endswith("_sealed")}
    assert found == listed


def test_an_account_ciphertext_moved_into_an_id_column_does_not_open(sealed_world):
    """Kinds are bound too: the same unit's account ciphertext is no resident ID."""
    person = CheckedPerson.objects.select_related("finding__item__case__unit").first()
    unit = person.finding.item.case.unit
    person.resident_id_sealed = unit.account_sealed
    with pytest.raises(FieldKeyError):
        person.resident_id()


@pytest.mark.parametrize("value, problem", [
    ("bad id!:" + "ab" * 32, "key id"), ("k1:" + "ab" * 31, "64 hex"),
    ("k1:" + "ab" * 32 + ",k1:" + "cd" * 32, "twice"), ("unknown", "no key"),
])
def test_a_malformed_keyring_is_refused_naming_the_entry(monkeypatch, value, problem):
    monkeypatch.setenv(sealing.KEYRING_ENV, value)
    sealing.reset_keys()
    with pytest.raises(FieldKeyError) as refused:
        sealing.seal_account("6222000011112222", owner="91360102MA35ABCD1X")
    assert problem in refused.value.en and "ab" * 31 not in str(refused.value)


CARD = "6214830799998888"


def person_paid_a_training_subsidy(run, people) -> tuple[Person, Payment]:
    """A trainee with a person case and its payment, sealed for the person's blind index."""
    from wengang.payments import services

    number = resident_id(321)
    digest = sealing.resident_id_digest(number)
    person = Person.objects.create(
        name="李四", phone="13700137000", region_code="360102", insured=True, insured_months=30,
        updated_at=run.screened_at, **sealed_resident_id_fields(number, owner=digest),
        **sealed_account_fields(CARD, AccountKind.BANK, owner=digest))
    case = Case.objects.create(
        person=person, program="training-certificate-2024", program_kind="training",
        refund_year=2024, state=State.IN_PAYMENT, route="automatic", size="", eligible=True,
        amount_fen=150_000, explanation="符合条件：测试", opened_by_run=run, screening_run=run,
        state_changed_at=run.screened_at, created_at=run.screened_at,
        updated_at=run.screened_at, approved_on=run.as_of, **person.account_fields())
    finance = User.objects.create_user("finance-p", password=None, role=Role.FINANCE,
                                       region_code=CITY, department="finance")
    budget = services.allocate(region_code=CITY, program=case.program, year=2024,
                               amount_fen=1_000_000, actor=finance)
    paying = PayingAccount.objects.create(region_code=CITY, holder_name="南昌市就业创业服务中心",
                                          account_number="36050100000000009999",
                                          bank_name="建设银行")
    batch = PaymentBatch.objects.create(paying_account=paying, budget=budget, program=case.program,
                                        message_id="WG-360100-P", execution_date=run.as_of,
                                        created_at=run.screened_at, created_by=people.agency)
    payment = Payment.objects.create(
        batch=batch, sequence=1, case=case, person=person, end_to_end_id="WGP0000001",
        case_state_before=State.PAYABLE, gross_fen=150_000, amount_fen=150_000,
        payee_name=person.name, **case.account_fields())
    return person, payment


def test_a_rotation_re_seals_persons_their_cases_and_payments(run, people, admin, monkeypatch):
    person, payment = person_paid_a_training_subsidy(run, people)
    monkeypatch.setenv(sealing.KEYRING_ENV, f"k2027:{secrets.token_hex(32)},{sealing.current_key_id()}")
    sealing.reset_keys()
    columns = ("cases.Person.account_sealed", "cases.Person.resident_id_sealed",
               "cases.Case.account_sealed", "payments.Payment.account_sealed")
    assert [rotation.pending()[c] for c in columns] == [1, 1, 1, 1]
    result = rotation.rotate(actor=admin)
    assert [result.resealed[c] for c in columns] == [1, 1, 1, 1]
    assert set(rotation.pending().values()) == {0}
    person = Person.objects.get(pk=person.pk)
    payment = Payment.objects.select_related("person").get(pk=payment.pk)
    assert person.account_sealed.startswith("sm4gcm1:k2027:")
    assert (person.resident_id(), person.account_number()) == (resident_id(321), CARD)
    assert (payment.case.account_number(), payment.account_number()) == (CARD, CARD)
    # Sealed for this person's blind index: it does not open on another person's row.
    other = Person(resident_id_digest=sealing.resident_id_digest(resident_id(322)),
                   account_sealed=person.account_sealed)
    with pytest.raises(FieldKeyError):
        other.account_number()
