"""Staff login: a password (policy enforced on setting it), then a TOTP code (RFC 6238).

Five failures of either factor lock the username for 30 minutes; a TOTP step is used once.
"""

from datetime import datetime, timedelta

import pyotp
import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from wengang.accounts import login, throttle
from wengang.accounts.errors import CodeInvalid, LockedOut, LoginRefused
from wengang.accounts.models import Role, TOTPDevice, User
from wengang.core.clock import CHINA

pytestmark = pytest.mark.django_db

T0 = datetime(2020, 4, 30, 9, 0, 5, tzinfo=CHINA)  # 5 s into a 30-second step
IP = "203.0.113.9"
PASSWORD = "nanchang-ok-2020"


@pytest.fixture
def officer() -> User:
    return User.objects.create_user("officer", password=PASSWORD, role=Role.AGENCY,
                                    region_code="360100")


@pytest.fixture
def enrolled(officer) -> TOTPDevice:
    device = login.start_enrolment(officer, now=T0)
    code = pyotp.TOTP(device.secret).at(T0)
    return login.confirm_enrolment(officer, code, ip=IP, now=T0)


def _code(device: TOTPDevice, at: datetime) -> str:
    return pyotp.TOTP(device.secret).at(at)


@pytest.mark.parametrize("password", ["short-pass1", "12345678901234", "password1234"])
def test_the_password_policy_refuses_short_numeric_and_common_passwords(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_a_twelve_character_uncommon_password_is_accepted():
    validate_password("nanchang-ok-2020"[:12])


def test_the_right_password_is_only_the_first_factor(officer):
    assert login.check_password("officer", PASSWORD, ip=IP, now=T0) == officer
    assert login.needs_enrolment(officer)


def test_enterprise_users_cannot_log_in_with_a_password():
    User.objects.create_user("ent", password=PASSWORD, role=Role.ENTERPRISE,
                             region_code="360102", uscc="91360102MA35L7XK2B")
    with pytest.raises(LoginRefused):
        login.check_password("ent", PASSWORD, ip=IP, now=T0)


def test_five_wrong_passwords_lock_the_username_even_for_the_right_one(officer):
    for _ in range(throttle.MAX_FAILURES - 1):
        with pytest.raises(LoginRefused):
            login.check_password("officer", "wrong", ip=IP, now=T0)
    with pytest.raises(LockedOut):
        login.check_password("officer", "wrong", ip=IP, now=T0)
    with pytest.raises(LockedOut):
        login.check_password("officer", PASSWORD, ip=IP, now=T0 + throttle.LOCKOUT
                             - timedelta(seconds=1))
    assert login.check_password("officer", PASSWORD, ip=IP, now=T0 + throttle.LOCKOUT) == officer


def test_enrolment_keeps_its_secret_until_confirmed_and_is_refused_after(officer):
    first = login.start_enrolment(officer, now=T0)
    assert login.start_enrolment(officer, now=T0).secret == first.secret
    login.confirm_enrolment(officer, _code(first, T0), ip=IP, now=T0)
    assert not login.needs_enrolment(officer)
    with pytest.raises(LoginRefused):
        login.start_enrolment(officer, now=T0)
    assert "otpauth://totp/" in login.provisioning_uri(first)


@pytest.mark.parametrize(("offset_steps", "accepted"), [
    (-2, False), (-1, True), (1, True), (2, False),
])
def test_a_code_of_an_adjacent_step_is_accepted_two_steps_away_is_not(enrolled, offset_steps,
                                                                      accepted):
    later = T0 + timedelta(minutes=5)
    code = _code(enrolled, later + timedelta(seconds=30 * offset_steps))
    officer = enrolled.user
    if accepted:
        login.verify_totp(officer, code, ip=IP, now=later)
    else:
        with pytest.raises(CodeInvalid):
            login.verify_totp(officer, code, ip=IP, now=later)


def test_a_code_is_accepted_once(enrolled):
    later = T0 + timedelta(minutes=5)
    code = _code(enrolled, later)
    login.verify_totp(enrolled.user, code, ip=IP, now=later)
    with pytest.raises(CodeInvalid):
        login.verify_totp(enrolled.user, code, ip=IP, now=later + timedelta(seconds=1))
    with pytest.raises(CodeInvalid):  # nor an older step once a newer one was used
        login.verify_totp(enrolled.user, _code(enrolled, later - timedelta(seconds=30)), ip=IP,
                          now=later + timedelta(seconds=1))


def test_wrong_totp_codes_count_towards_the_same_lockout(enrolled):
    officer = enrolled.user
    later = T0 + timedelta(minutes=5)
    for _ in range(2):
        with pytest.raises(LoginRefused):
            login.check_password("officer", "wrong", ip=IP, now=later)
    wrong = f"{(int(_code(enrolled, later)) + 1) % 1_000_000:06d}"
    for left in (2, 1):
        with pytest.raises(CodeInvalid) as refused:
            login.verify_totp(officer, wrong, ip=IP, now=later)
        assert refused.value.remaining == left
    with pytest.raises(LockedOut):
        login.verify_totp(officer, wrong, ip=IP, now=later)
    with pytest.raises(LockedOut):
        login.verify_totp(officer, _code(enrolled, later), ip=IP, now=later)
