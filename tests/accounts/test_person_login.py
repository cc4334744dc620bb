"""Person login (skills-training subsidies): resident ID + one-time SMS code to the phone on the
person's record, by the enterprise login's machinery: the same expiry, resend interval, hourly
limits and lockout, keyed by the ID's blind index. An unknown ID is answered like a known one.
"""

import re
from datetime import datetime, timedelta

import pytest

from wengang.accounts import login, throttle
from wengang.accounts.errors import CodeExpired, CodeInvalid, LockedOut, LoginRefused, RateLimited
from wengang.accounts.models import Attempt, Role, SmsCode, SmsOutbox, User
from wengang.accounts.sms import OutboxGateway
from wengang.cases.models import Person
from wengang.cases.models.common import sealed_resident_id_fields
from wengang.cases.sealing import resident_id_digest
from wengang.core.clock import CHINA
from wengang.core.errors import IdentifierError
from wengang.core.ids import resident_id_check_char

pytestmark = pytest.mark.django_db

T0 = datetime(2021, 9, 1, 9, 0, tzinfo=CHINA)
IP = "203.0.113.9"
OUTBOX = OutboxGateway()


def resident_id(serial: int, region: str = "360102") -> str:
    first17 = f"{region}19900101{serial:03d}"
    return first17 + resident_id_check_char(first17)


def make_person(number: str, *, phone: str = "13900390012", name: str = "张三丰",
                region: str = "360102") -> Person:
    digest = resident_id_digest(number)
    return Person.objects.create(name=name, phone=phone, region_code=region, insured=True,
                                 insured_months=24, updated_at=T0,
                                 **sealed_resident_id_fields(number, owner=digest))


def _send(number: str, now: datetime = T0, ip: str = IP) -> tuple[str, str]:
    """Request a code and read it from the outbox, as the phone would: (key, code)."""
    before = SmsOutbox.objects.count()
    sent = login.request_person_code(number, ip=ip, now=now, gateway=OUTBOX)
    assert SmsOutbox.objects.count() == before + 1
    return sent.key, re.search(r"验证码为 (\d{6})", SmsOutbox.objects.first().text).group(1)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_the_code_goes_to_the_phone_on_the_persons_record():
    number = resident_id(1)
    make_person(number)
    sent = login.request_person_code(number, ip=IP, now=T0, gateway=OUTBOX)
    assert sent.expires_at == T0 + login.CODE_TTL
    assert sent.masked_phone == ""  # shown for nobody: it would tell who is on record
    message = SmsOutbox.objects.get()
    assert message.phone == "13900390012" and "5 分钟内有效" in message.text


def test_neither_the_id_number_nor_the_code_is_stored_in_clear():
    number = resident_id(1)
    make_person(number)
    key, code = _send(number)
    row = SmsCode.objects.get()
    assert row.key == resident_id_digest(number) == key and number not in row.key
    assert code not in row.code_hash and len(row.code_hash) == 64


def test_the_right_code_logs_the_person_in_and_creates_their_user_once():
    number = resident_id(1)
    make_person(number, region="360103")
    key, code = _send(number)
    user = login.verify_person_code(key, code, ip=IP, now=T0 + timedelta(seconds=30))
    assert (user.role, user.resident_id_digest, user.region_code) == (
        Role.PERSON, resident_id_digest(number), "360103")
    assert user.uscc == "" and user.first_name == "张*丰" and not user.has_usable_password()
    assert number not in user.username
    key, code = _send(number, T0 + timedelta(minutes=2))
    again = login.verify_person_code(key, code, ip=IP, now=T0 + timedelta(minutes=2, seconds=5))
    assert again.pk == user.pk and User.objects.filter(role=Role.PERSON).count() == 1


@pytest.mark.parametrize("number", [
    resident_id(1)[:17] + ("0" if resident_id(1)[17] != "0" else "1"),  # wrong check digit
    resident_id(1)[:17],                                                 # 17 characters
    resident_id(1) + "0",                                                # 19 characters
    "360102199002301234",                                                # 30 February
])
def test_a_malformed_id_number_is_refused_before_anything_is_sent(number):
    make_person(resident_id(1))
    with pytest.raises(IdentifierError):
        login.request_person_code(number, ip=IP, now=T0, gateway=OUTBOX)
    assert SmsCode.objects.count() == 0 and SmsOutbox.objects.count() == 0


def test_an_unknown_id_gets_the_same_answer_as_a_known_one_and_no_code_opens_it():
    known, unknown = resident_id(1), resident_id(2)
    make_person(known)
    answers = [login.request_person_code(n, ip=IP, now=T0, gateway=OUTBOX) for n in (known, unknown)]
    assert [(a.masked_phone, a.expires_at) for a in answers] == [("", T0 + login.CODE_TTL)] * 2
    assert SmsOutbox.objects.count() == 1  # only the person on record was texted
    # The unknown number is held to the same limits …
    with pytest.raises(RateLimited):
        login.request_person_code(unknown, ip=IP, now=T0 + timedelta(seconds=1), gateway=OUTBOX)
    # … and every code is "wrong", with the same count of tries left as for a known person.
    with pytest.raises(CodeInvalid) as refused:
        login.verify_person_code(answers[1].key, "000000", ip=IP, now=T0)
    assert refused.value.remaining == throttle.MAX_FAILURES - 1
    assert not User.objects.filter(role=Role.PERSON).exists()


def test_a_person_with_no_phone_on_record_is_answered_alike_and_texted_nothing():
    number = resident_id(1)
    make_person(number, phone="")
    sent = login.request_person_code(number, ip=IP, now=T0, gateway=OUTBOX)
    assert sent.masked_phone == "" and SmsOutbox.objects.count() == 0
    with pytest.raises(CodeInvalid):
        login.verify_person_code(sent.key, "123456", ip=IP, now=T0)


def test_one_persons_code_does_not_open_another_persons_login():
    mine, theirs = resident_id(1), resident_id(2)
    make_person(mine)
    make_person(theirs, phone="13900390099", name="李四")
    _, my_code = _send(mine)
    their_key, their_code = _send(theirs, T0)
    if my_code != their_code:  # one chance in a million that the two codes are the same
        with pytest.raises(CodeInvalid):
            login.verify_person_code(their_key, my_code, ip=IP, now=T0)
        assert not User.objects.filter(role=Role.PERSON).exists()
    with pytest.raises(LoginRefused):  # never a code for this one: nothing to match
        login.verify_person_code(login.person_key(resident_id(3)), my_code, ip=IP, now=T0)


@pytest.mark.parametrize(("after", "valid"), [
    (login.CODE_TTL - timedelta(seconds=1), True),   # just below the validity
    (login.CODE_TTL, False),                         # at it
    (login.CODE_TTL + timedelta(seconds=1), False),  # just above
])
def test_a_code_expires_after_five_minutes(after, valid):
    number = resident_id(1)
    make_person(number)
    key, code = _send(number)
    if valid:
        assert login.verify_person_code(key, code, ip=IP, now=T0 + after).role == Role.PERSON
    else:
        with pytest.raises(CodeExpired):
            login.verify_person_code(key, code, ip=IP, now=T0 + after)


def test_a_code_is_used_once():
    number = resident_id(1)
    make_person(number)
    key, code = _send(number)
    login.verify_person_code(key, code, ip=IP, now=T0)
    with pytest.raises(LoginRefused):
        login.verify_person_code(key, code, ip=IP, now=T0 + timedelta(seconds=1))


def test_four_wrong_codes_leave_one_try_and_the_fifth_locks_the_person_out():
    number = resident_id(1)
    make_person(number)
    key, code = _send(number)
    for tries_left in (4, 3, 2, 1):
        with pytest.raises(CodeInvalid) as refused:
            login.verify_person_code(key, _wrong(code), ip=IP, now=T0)
        assert refused.value.remaining == tries_left
    with pytest.raises(LockedOut) as locked:
        login.verify_person_code(key, _wrong(code), ip=IP, now=T0)
    assert locked.value.until == T0 + throttle.LOCKOUT
    assert Attempt.objects.filter(key=key, succeeded=False).count() == throttle.MAX_FAILURES
    with pytest.raises(LockedOut):  # even the right code, and even a new one, while locked
        login.verify_person_code(key, code, ip=IP, now=T0 + timedelta(minutes=1))
    with pytest.raises(LockedOut):
        login.request_person_code(number, ip=IP, now=T0 + timedelta(minutes=2), gateway=OUTBOX)


@pytest.mark.parametrize(("after", "locked"), [
    (throttle.LOCKOUT - timedelta(seconds=1), True),
    (throttle.LOCKOUT, False),
])
def test_the_lockout_ends_thirty_minutes_after_the_failures(after, locked):
    number = resident_id(1)
    make_person(number)
    key, code = _send(number)
    for _ in range(throttle.MAX_FAILURES):
        with pytest.raises((CodeInvalid, LockedOut)):
            login.verify_person_code(key, _wrong(code), ip=IP, now=T0)
    if locked:
        with pytest.raises(LockedOut):
            login.request_person_code(number, ip=IP, now=T0 + after, gateway=OUTBOX)
    else:
        key, fresh = _send(number, T0 + after)
        assert login.verify_person_code(key, fresh, ip=IP, now=T0 + after).role == Role.PERSON


@pytest.mark.parametrize(("after", "allowed"), [
    (login.RESEND_AFTER - timedelta(seconds=1), False),
    (login.RESEND_AFTER, True),
])
def test_a_new_code_can_be_sent_sixty_seconds_after_the_last(after, allowed):
    number = resident_id(1)
    make_person(number)
    _send(number)
    if allowed:
        _send(number, T0 + after)
        assert SmsCode.objects.count() == 2
    else:
        with pytest.raises(RateLimited) as limited:
            login.request_person_code(number, ip=IP, now=T0 + after, gateway=OUTBOX)
        assert limited.value.retry_after == 1
        assert SmsCode.objects.count() == 1 and SmsOutbox.objects.count() == 1


def test_at_most_five_codes_an_hour_go_to_one_person():
    number = resident_id(1)
    make_person(number)
    for n in range(login.CODES_PER_HOUR):
        _send(number, T0 + n * login.RESEND_AFTER)
    with pytest.raises(RateLimited):
        login.request_person_code(number, ip=IP, now=T0 + login.CODES_PER_HOUR * login.RESEND_AFTER,
                                  gateway=OUTBOX)
    _send(number, T0 + timedelta(hours=1))  # the first has left the hour
    assert SmsCode.objects.count() == login.CODES_PER_HOUR + 1


def test_at_most_twenty_codes_an_hour_from_one_address_known_ids_or_not():
    numbers = [resident_id(n) for n in range(1, login.CODES_PER_IP_PER_HOUR + 2)]
    for number in numbers[:5]:
        make_person(number, phone=f"139{int(number[14:17]):08d}")
    for number in numbers[:-1]:
        login.request_person_code(number, ip=IP, now=T0, gateway=OUTBOX)
    with pytest.raises(RateLimited):
        login.request_person_code(numbers[-1], ip=IP, now=T0, gateway=OUTBOX)
    login.request_person_code(numbers[-1], ip="198.51.100.7", now=T0, gateway=OUTBOX)


def test_a_disabled_person_account_cannot_log_in():
    number = resident_id(1)
    make_person(number)
    key, code = _send(number)
    login.verify_person_code(key, code, ip=IP, now=T0)
    User.objects.filter(role=Role.PERSON).update(is_active=False)
    key, code = _send(number, T0 + login.RESEND_AFTER)
    with pytest.raises(LoginRefused):
        login.verify_person_code(key, code, ip=IP, now=T0 + login.RESEND_AFTER)


def test_the_database_holds_a_digest_exactly_for_person_users():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="p-none", role=Role.PERSON)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="officer", role=Role.AGENCY, resident_id_digest="a" * 64)
    User.objects.create(username="p-1", role=Role.PERSON, resident_id_digest="b" * 64)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="p-2", role=Role.PERSON, resident_id_digest="b" * 64)
