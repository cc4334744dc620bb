"""Enterprise login: USCC + one-time SMS code to the contact phone on record.

Codes expire, are used once, lapse when a new one is sent; sending is rate-limited per unit and
per address; five wrong codes lock the unit out for 30 minutes. Time is passed in (``now``).
"""

import re
from datetime import datetime, timedelta

import pytest

from tests.screening.builder import make_uscc
from wengang.accounts import login, throttle
from wengang.accounts.errors import (
    CodeExpired,
    CodeInvalid,
    LockedOut,
    LoginRefused,
    NoPhoneOnRecord,
    RateLimited,
)
from wengang.accounts.models import Role, SmsCode, SmsOutbox, User
from wengang.accounts.sms import OutboxGateway
from wengang.cases.models import Unit
from wengang.core.clock import CHINA
from wengang.core.errors import IdentifierError

pytestmark = pytest.mark.django_db

T0 = datetime(2020, 4, 30, 9, 0, tzinfo=CHINA)
IP = "203.0.113.9"
OUTBOX = OutboxGateway()


def _unit(number: int = 1, phone: str = "13800380012", region: str = "360102") -> Unit:
    return Unit.objects.create(uscc=make_uscc(number, region), name=f"单位{number}",
                               unit_type="enterprise", region_code=region, contact_phone=phone,
                               updated_at=T0)


def _send(uscc: str, now: datetime = T0, ip: str = IP) -> str:
    """Request a code and read it from the outbox, as a phone would."""
    login.request_code(uscc, ip=ip, now=now, gateway=OUTBOX)
    return re.search(r"验证码为 (\d{6})", SmsOutbox.objects.first().text).group(1)


def test_the_code_goes_to_the_phone_on_record_and_the_page_shows_it_masked():
    unit = _unit()
    sent = login.request_code(unit.uscc, ip=IP, now=T0, gateway=OUTBOX)
    assert sent.masked_phone == "138****0012"
    assert sent.expires_at == T0 + login.CODE_TTL
    message = SmsOutbox.objects.get()
    assert message.phone == "13800380012" and "5 分钟内有效" in message.text


def test_only_a_keyed_hash_of_the_code_is_stored():
    unit = _unit()
    code = _send(unit.uscc)
    row = SmsCode.objects.get()
    assert code not in row.code_hash and len(row.code_hash) == 64


def test_the_right_code_logs_in_as_the_unit_and_creates_its_user_once():
    unit = _unit()
    user = login.verify_code(unit.uscc, _send(unit.uscc), ip=IP, now=T0 + timedelta(seconds=30))
    assert (user.role, user.uscc, user.region_code) == (Role.ENTERPRISE, unit.uscc, "360102")
    assert not user.has_usable_password()
    again = login.verify_code(unit.uscc, _send(unit.uscc, T0 + timedelta(minutes=2)), ip=IP,
                              now=T0 + timedelta(minutes=2, seconds=5))
    assert again.pk == user.pk and User.objects.filter(role=Role.ENTERPRISE).count() == 1


@pytest.mark.parametrize(("after", "valid"), [
    (login.CODE_TTL - timedelta(seconds=1), True),   # just below the validity
    (login.CODE_TTL, False),                         # at it
    (login.CODE_TTL + timedelta(seconds=1), False),  # just above
])
def test_a_code_expires_after_five_minutes(after, valid):
    unit = _unit()
    code = _send(unit.uscc)
    if valid:
        assert login.verify_code(unit.uscc, code, ip=IP, now=T0 + after).uscc == unit.uscc
    else:
        with pytest.raises(CodeExpired):
            login.verify_code(unit.uscc, code, ip=IP, now=T0 + after)


def test_a_code_is_used_once():
    unit = _unit()
    code = _send(unit.uscc)
    login.verify_code(unit.uscc, code, ip=IP, now=T0)
    with pytest.raises(LoginRefused):
        login.verify_code(unit.uscc, code, ip=IP, now=T0 + timedelta(seconds=1))


def test_a_new_code_replaces_the_previous_one():
    unit = _unit()
    first = _send(unit.uscc)
    second = _send(unit.uscc, T0 + login.RESEND_AFTER)
    if first != second:
        with pytest.raises(CodeInvalid):
            login.verify_code(unit.uscc, first, ip=IP, now=T0 + login.RESEND_AFTER)
    assert login.verify_code(unit.uscc, second, ip=IP, now=T0 + login.RESEND_AFTER).uscc


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_four_wrong_codes_leave_one_try_and_the_fifth_locks_the_unit_out():
    unit = _unit()
    code = _send(unit.uscc)
    for tries_left in (4, 3, 2, 1):
        with pytest.raises(CodeInvalid) as refused:
            login.verify_code(unit.uscc, _wrong(code), ip=IP, now=T0)
        assert refused.value.remaining == tries_left
    with pytest.raises(LockedOut) as locked:
        login.verify_code(unit.uscc, _wrong(code), ip=IP, now=T0)
    assert locked.value.until == T0 + throttle.LOCKOUT
    with pytest.raises(LockedOut):  # even the right code, and even a new one, while locked
        login.verify_code(unit.uscc, code, ip=IP, now=T0 + timedelta(minutes=1))
    with pytest.raises(LockedOut):
        login.request_code(unit.uscc, ip=IP, now=T0 + timedelta(minutes=2), gateway=OUTBOX)


@pytest.mark.parametrize(("after", "locked"), [
    (throttle.LOCKOUT - timedelta(seconds=1), True),
    (throttle.LOCKOUT, False),
])
def test_the_lockout_ends_thirty_minutes_after_the_failures(after, locked):
    unit = _unit()
    code = _send(unit.uscc)
    for _ in range(throttle.MAX_FAILURES):
        with pytest.raises((CodeInvalid, LockedOut)):
            login.verify_code(unit.uscc, _wrong(code), ip=IP, now=T0)
    if locked:
        with pytest.raises(LockedOut):
            login.request_code(unit.uscc, ip=IP, now=T0 + after, gateway=OUTBOX)
    else:
        fresh = _send(unit.uscc, T0 + after)
        assert login.verify_code(unit.uscc, fresh, ip=IP, now=T0 + after).uscc == unit.uscc


def test_a_success_clears_earlier_failures():
    unit = _unit()
    code = _send(unit.uscc)
    for _ in range(throttle.MAX_FAILURES - 1):
        with pytest.raises(CodeInvalid):
            login.verify_code(unit.uscc, _wrong(code), ip=IP, now=T0)
    login.verify_code(unit.uscc, code, ip=IP, now=T0)
    later = _send(unit.uscc, T0 + login.RESEND_AFTER)
    with pytest.raises(CodeInvalid) as refused:
        login.verify_code(unit.uscc, _wrong(later), ip=IP, now=T0 + login.RESEND_AFTER)
    assert refused.value.remaining == throttle.MAX_FAILURES - 1


@pytest.mark.parametrize(("after", "allowed"), [
    (login.RESEND_AFTER - timedelta(seconds=1), False),
    (login.RESEND_AFTER, True),
])
def test_a_new_code_can_be_sent_sixty_seconds_after_the_last(after, allowed):
    unit = _unit()
    _send(unit.uscc)
    if allowed:
        _send(unit.uscc, T0 + after)
        assert SmsCode.objects.count() == 2
    else:
        with pytest.raises(RateLimited) as limited:
            login.request_code(unit.uscc, ip=IP, now=T0 + after, gateway=OUTBOX)
        assert limited.value.retry_after == 1
        assert SmsCode.objects.count() == 1 and SmsOutbox.objects.count() == 1


def test_at_most_five_codes_an_hour_go_to_one_unit():
    unit = _unit()
    for n in range(login.CODES_PER_HOUR):
        _send(unit.uscc, T0 + n * login.RESEND_AFTER)
    sixth = T0 + login.CODES_PER_HOUR * login.RESEND_AFTER
    with pytest.raises(RateLimited):
        login.request_code(unit.uscc, ip=IP, now=sixth, gateway=OUTBOX)
    _send(unit.uscc, T0 + timedelta(hours=1))  # the first has left the hour
    assert SmsCode.objects.count() == login.CODES_PER_HOUR + 1


def test_at_most_twenty_codes_an_hour_are_sent_from_one_address():
    units = [_unit(n, phone=f"139{n:08d}") for n in range(1, login.CODES_PER_IP_PER_HOUR + 2)]
    for unit in units[:-1]:
        _send(unit.uscc)
    with pytest.raises(RateLimited):
        login.request_code(units[-1].uscc, ip=IP, now=T0, gateway=OUTBOX)
    _send(units[-1].uscc, ip="198.51.100.7")  # another address is not held back


def test_unknown_units_malformed_codes_and_units_without_a_phone_are_refused():
    with pytest.raises(IdentifierError):
        login.request_code("91360102MA35L7XK2", ip=IP, now=T0, gateway=OUTBOX)
    with pytest.raises(LoginRefused):
        login.request_code(make_uscc(99), ip=IP, now=T0, gateway=OUTBOX)
    with pytest.raises(NoPhoneOnRecord):
        login.request_code(_unit(5, phone="").uscc, ip=IP, now=T0, gateway=OUTBOX)
    assert SmsCode.objects.count() == 0 and SmsOutbox.objects.count() == 0


def test_a_disabled_enterprise_account_cannot_log_in():
    unit = _unit()
    login.verify_code(unit.uscc, _send(unit.uscc), ip=IP, now=T0)
    User.objects.filter(uscc=unit.uscc).update(is_active=False)
    code = _send(unit.uscc, T0 + login.RESEND_AFTER)
    with pytest.raises(LoginRefused):
        login.verify_code(unit.uscc, code, ip=IP, now=T0 + login.RESEND_AFTER)
