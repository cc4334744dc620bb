"""A person's account change (training subsidy): the unit's procedure with the person as the
holder — sealed for the person, a cooling-off period, another officer approves — and the next
batch pays to it; refused when the number is bad, the holder is not the person, or nothing is
left to pay."""

import secrets
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from tests.web.person_builder import make_person, make_person_case, person_user, resident_id
from wengang.accounts.models import Role, User
from wengang.cases import sealing
from wengang.cases.errors import FieldKeyError, NothingToDo, OutsideRegion, WrongRole
from wengang.cases.models import Action, CaseEvent, State
from wengang.cases.sealing import open_account
from wengang.core.clock import clock
from wengang.oversight import rotation
from wengang.payments import services
from wengang.payments.batches import transfer_file
from wengang.payments.errors import AccountChangeRefused
from wengang.payments.models import AccountChange, Payment

from .returns import csv_return, outcome_rows
from .world import CITY, new_case

pytestmark = pytest.mark.django_db

TRAINING = "training-online-2020"
NEW = "6228480000009999"


@pytest.fixture
def person(run):
    person, _ = make_person(name="张三丰")
    return person


@pytest.fixture
def payable(person, run):
    return make_person_case(person, run, state=State.PAYABLE)


@pytest.fixture
def training_fund(people, paying_account):
    return services.allocate(region_code=CITY, program=TRAINING, year=2020,
                             amount_fen=10_000_000, actor=people.finance, note="培训补贴预算")


def login_of(person) -> User:
    return (User.objects.filter(role=Role.PERSON, resident_id_digest=person.resident_id_digest)
            .first() or person_user(person))


def ask(person, *, holder="张三丰", number=NEW, actor=None):
    return services.request_account_change(
        person, actor=actor or login_of(person), account_number=number, bank_name="农业银行",
        holder_name=holder)


def approve(change, people):
    with clock.frozen(change.verifiable_from):
        return services.decide_account_change(change, actor=people.agency, approve=True,
                                              note="电话联系本人核实")


def build_and_export(people, tmp_path):
    (batch,) = services.build_batches(actor=people.agency, region_code=CITY,
                                      program=TRAINING).batches
    services.approve_batch(batch, actor=people.finance)
    return services.export_batch(batch, actor=people.agency, out_dir=tmp_path / "out").batch


def test_a_persons_request_is_sealed_for_them_and_waits_three_working_days(person, payable):
    change = ask(person)
    assert (change.person, change.unit, change.status) == (person, None, AccountChange.Status.PENDING)
    assert change.account_masked == "****9999" and NEW not in change.account_sealed
    assert change.account_number() == NEW
    other, _ = make_person(name="李四")
    with pytest.raises(FieldKeyError):  # sealed for this person only
        open_account(change.account_sealed, owner=other.resident_id_digest)
    assert change.verifiable_from == clock.today() + timedelta(days=3)
    assert change.payee_name_masked == "张*丰" and change.holder_name_masked == "张*丰"


@pytest.mark.parametrize("holder", ["张三", "张三丰丰", "李四", "南昌市洪城机械有限公司"])
def test_a_holder_who_is_not_the_person_is_refused_without_naming_them(person, payable, holder):
    with pytest.raises(AccountChangeRefused) as refused:
        ask(person, holder=holder)
    assert "subsidies go only to the person's own account" in str(refused.value)
    assert "本人姓名" in refused.value.zh and "张三丰" not in str(refused.value).replace(holder, "")
    assert not AccountChange.objects.exists()


@pytest.mark.parametrize("holder", ["张三丰", " 张 三丰 ", "张三丰\u3000"])
def test_the_holder_matches_the_person_across_spaces(person, payable, holder):
    assert ask(person, holder=holder).pk


@pytest.mark.parametrize("number, allowed", [
    ("1234567", False), ("12345678", True),  # 8 digits at least
    ("1" * 34, True), ("1" * 35, False),  # 34 at most
    ("6228-4800-0000", False), ("", False)])
def test_the_account_number_is_8_to_34_digits(person, payable, number, allowed):
    if allowed:
        assert ask(person, number=number).account_number() == number
    else:
        with pytest.raises(AccountChangeRefused) as refused:
            ask(person, number=number)
        assert "8 to 34 digits" in str(refused.value)
        assert not AccountChange.objects.exists()


def test_only_the_person_or_an_officer_of_the_region_may_ask(people, person, payable):
    stranger, _ = make_person(name="张三丰", phone="13900390099")  # the same name is not enough
    with pytest.raises(AccountChangeRefused):
        ask(person, actor=person_user(stranger))
    with pytest.raises(WrongRole):
        ask(person, actor=people.enterprise_for(new_case(payable.opened_by_run).unit))
    with pytest.raises(WrongRole):
        ask(person, actor=people.finance)
    with pytest.raises(OutsideRegion):
        ask(person, actor=people.other_city)
    assert not AccountChange.objects.exists()
    assert ask(person, actor=people.agency).requested_by == people.agency  # at the counter


def test_approval_waits_out_the_cooling_off_and_another_officer_decides(people, person,
                                                                        payable):
    change = ask(person, actor=people.agency)  # recorded at the counter
    for days, allowed in ((2, False), (3, True)):
        with clock.frozen(clock.today() + timedelta(days=days)):
            if not allowed:
                with pytest.raises(AccountChangeRefused) as refused:
                    services.decide_account_change(change, actor=people.agency2, approve=True,
                                                   note="核实")
                assert "cooling-off" in str(refused.value)
                continue
            with pytest.raises(AccountChangeRefused):  # the requester cannot approve it
                services.decide_account_change(change, actor=people.agency, approve=True,
                                               note="核实")
            decided = services.decide_account_change(change, actor=people.agency2,
                                                     approve=True, note="核实")
    assert decided.status == AccountChange.Status.APPROVED and decided.decided_by == people.agency2
    with pytest.raises(OutsideRegion):
        services.decide_account_change(ask(person), actor=people.other_city, approve=False,
                                       note="不属本市")


def test_the_next_batch_pays_the_verified_account_and_keeps_it_with_the_payment(
        people, person, payable, training_fund, tmp_path):
    change = approve(ask(person), people)
    noted = CaseEvent.objects.for_case(payable).get(action=Action.ACCOUNT_CHANGED)
    assert "****9999" in noted.reason and noted.state_after == State.PAYABLE
    with clock.frozen(change.verifiable_from):
        batch = build_and_export(people, tmp_path)
    payment = Payment.objects.get(case=payable)
    assert (payment.person, payment.account_change, payment.account_masked, payment.payee_bank) \
        == (person, change, "****9999", "农业银行")
    assert [t.payee_account for t in transfer_file(batch).transfers] == [NEW]
    payable.refresh_from_db()
    assert payable.account_masked == "****5678"  # the case keeps what the feed said


def test_a_later_request_is_refused_once_every_subsidy_is_with_the_bank(people, person, payable,
                                                                        training_fund, tmp_path):
    ask(person)  # while the subsidy is payable: accepted
    (batch,) = services.build_batches(actor=people.agency, region_code=CITY,
                                      program=TRAINING).batches
    ask(person)  # in a draft batch: a cancelled batch would pay the new account
    services.approve_batch(batch, actor=people.finance)
    services.export_batch(batch, actor=people.agency, out_dir=tmp_path / "out")
    with pytest.raises(AccountChangeRefused) as refused:
        ask(person)
    assert "already sent to the bank" in str(refused.value)
    assert AccountChange.objects.count() == 2


@pytest.mark.parametrize("state, allowed", [
    (State.PAID, False), (State.WITHDRAWN, False), (State.SCREENED, True), (State.PAYABLE, True)])
def test_a_request_needs_a_subsidy_still_to_pay(person, run, state, allowed):
    fields = {"closed_reason": "agency_withdrew"} if state == State.WITHDRAWN else {}
    make_person_case(person, run, state=state, **fields)
    if allowed:
        assert ask(person).pk
    else:
        with pytest.raises(AccountChangeRefused):
            ask(person)
        assert not AccountChange.objects.exists()


def test_a_failed_subsidy_is_repaid_only_to_an_account_verified_after_the_failure(
        people, person, payable, training_fund, tmp_path):
    batch = build_and_export(people, tmp_path)
    services.apply_return(csv_return(batch, outcome_rows(batch, {payable.pk: "账户已销户"})),
                          name="回单", actor=people.agency)
    payable.refresh_from_db()
    assert payable.state == State.PAYMENT_FAILED
    with pytest.raises(NothingToDo):  # nothing to pay again yet: no verified account
        services.build_batches(actor=people.agency, region_code=CITY, program=TRAINING)
    change = approve(ask(person), people)
    with clock.frozen(change.verifiable_from):
        (again,) = services.build_batches(actor=people.agency, region_code=CITY,
                                          program=TRAINING).batches
    repaid = again.payments.get()
    assert (repaid.case_id, repaid.account_change, repaid.account_masked) \
        == (payable.pk, change, "****9999")
    assert Payment.objects.get(case=payable, status=Payment.Status.FAILED).account_masked \
        == "****5678"


def test_staff_see_a_persons_change_masked_and_only_in_their_region(people, person, payable):
    change = ask(person)
    assert list(AccountChange.objects.visible_to(people.agency)) == [change]
    assert not AccountChange.objects.visible_to(people.other_city).exists()
    assert not AccountChange.objects.visible_to(login_of(person)).exists()
    assert str(change) == "张*丰 → ****9999 · 待核实"
    admin = User.objects.create_user("admin-all", password=None, role=Role.ADMIN)
    assert list(AccountChange.objects.visible_to(admin)) == [change]


def test_a_key_rotation_reseals_a_persons_change_for_the_same_person(person, payable,
                                                                     monkeypatch):
    change = ask(person)
    admin = User.objects.create_user("sysadmin", password=None, role=Role.ADMIN, region_code=CITY)
    monkeypatch.setenv(sealing.KEYRING_ENV, f"k2027:{secrets.token_hex(32)},"
                                            f"{sealing.current_key_id()}")
    sealing.reset_keys()
    try:
        assert rotation.pending()["payments.AccountChange.account_sealed"] == 1
        assert rotation.rotate(actor=admin).resealed["payments.AccountChange.account_sealed"] == 1
        change.refresh_from_db()
        assert change.account_sealed.startswith("sm4gcm1:k2027:")
        assert change.account_number() == NEW
    finally:
        monkeypatch.delenv(sealing.KEYRING_ENV)
        sealing.reset_keys()


@pytest.mark.parametrize("payees", ["neither", "both"])
def test_the_database_refuses_a_change_for_neither_or_both_payees(person, payable, payees):
    change = ask(person)
    unit = new_case(payable.opened_by_run).unit
    fields = {"unit": None, "person": None} if payees == "neither" else {"unit": unit}
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountChange.objects.filter(pk=change.pk).update(**fields)
    assert AccountChange.objects.get(pk=change.pk).person == person


def test_an_officer_records_a_persons_request_at_the_counter_from_the_command_line(
        person, payable, people):
    from click.testing import CliRunner

    from wengang.cli import main

    number = person.resident_id()

    def request(*who, holder="张三丰"):
        return CliRunner().invoke(main, ["payments", "account", "request", *who, "--account", NEW,
                                         "--bank", "农业银行", "--holder", holder],
                                  env={"WENGANG_ACTOR": people.agency.username},
                                  catch_exceptions=False)

    assert request().exit_code == 2  # neither --uscc nor --resident-id
    assert request("--uscc", "x", "--resident-id", number).exit_code == 2  # both
    malformed = request("--resident-id", number[:-1] + ("0" if number[-1] != "0" else "1"))
    assert malformed.exit_code == 1 and "校验位错误" in malformed.output
    nobody = resident_id(999)  # well formed, on no record
    unknown = request("--resident-id", nobody)
    assert unknown.exit_code == 2 and nobody not in unknown.output
    assert nobody[:6] + "********" + nobody[-4:] in unknown.output
    stranger = request("--resident-id", number, holder="李四")
    assert stranger.exit_code == 1 and "与本人姓名不一致" in stranger.output
    assert not AccountChange.objects.exists()

    done = request("--resident-id", number)
    assert done.exit_code == 0, done.output
    change = AccountChange.objects.get()
    assert (change.person, change.unit, change.channel, change.requested_by) == (
        person, None, "cli", people.agency)
    assert change.account_number() == NEW
