"""Logging in: enterprises and persons with an SMS code, staff with a password and a TOTP code.

    sent = request_code("91360102MA35L7XK2B", ip="203.0.113.9")     # "验证码已发送至 138****0012"
    user = verify_code("91360102MA35L7XK2B", "123456", ip=…)        # the enterprise user

    sent = request_person_code("360102199001011234", ip=…)          # a trainee, by resident ID
    user = verify_person_code(sent.key, "123456", ip=…)             # the person user

    user = check_password("nanchang-agency", "…", ip=…)             # first factor
    device = start_enrolment(user)  /  confirm_enrolment(user, "123456")   # first login only
    verify_totp(user, "123456", ip=…)                               # second factor

Units and persons share one machinery (``_send_code``, ``_check_code``): the same validity,
resend interval, hourly limits and lockout, keyed by the unit's USCC or by the blind index of
the person's resident ID (the number itself is never stored or used as a key). A resident ID
with no person (or no phone) on record gets the same answer as one with: an ID number cannot
be probed for who is on record.

Each function raises an ``AccountsError`` and changes nothing but the attempt record when it
refuses. ``now`` is a seam for tests (expiry, lockout); it defaults to the real time, not the
domain clock: a simulated "today" must never stretch a code's validity.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from wengang.cases.models import Person, Unit
from wengang.cases.sealing import resident_id_digest
from wengang.core.ids import mask_phone, validate_resident_id, validate_uscc

from . import throttle
from .errors import CodeExpired, CodeInvalid, LoginRefused, NoPhoneOnRecord, RateLimited
from .models import STAFF_ROLES, Attempt, Role, SmsCode, TOTPDevice, User
from .sms import SmsGateway, default_gateway

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=5)
RESEND_AFTER = timedelta(seconds=60)
CODES_PER_HOUR = 5            # per unit or person: a phone is not flooded
CODES_PER_IP_PER_HOUR = 20    # per address: units (or ID numbers) are not probed one after another
TOTP_ISSUER = "稳岗通"

_SMS_KINDS = (Attempt.Kind.SMS_CODE,)
_STAFF_KINDS = (Attempt.Kind.PASSWORD, Attempt.Kind.TOTP)
_CODE_SALT = "wengang.accounts.login.sms-code"
_NEVER_MATCHES = "-"


@dataclass(frozen=True)
class CodeSent:
    """A code on its way. ``key``: the USCC, or a person's blind index; ``masked_phone`` is
    empty for a person (showing it would tell who is on record)."""

    key: str
    masked_phone: str
    expires_at: datetime


def _hash_code(salt: str, key: str, code: str) -> str:
    """A keyed hash (HMAC with the secret key): a stolen table alone cannot be brute-forced."""
    return salted_hmac(_CODE_SALT, f"{salt}:{key}:{code}", algorithm="sha256").hexdigest()


def _send_code(key: str, phone: str, *, ip: str | None, now: datetime,
               gateway: SmsGateway | None) -> SmsCode:
    """Record a new code for ``key`` and text it to ``phone`` (not at all when ``phone`` is
    empty: an unknown person's code row, which answers like any other); older codes lapse."""
    _require_sending_allowed(key, ip, now)
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    salt = secrets.token_hex(16)
    # A code never sent gets a hash no code can match (no hex digest is "-").
    code_hash = _hash_code(salt, key, code) if phone else _NEVER_MATCHES
    with transaction.atomic():
        SmsCode.objects.filter(key=key, used_at__isnull=True).update(used_at=now)
        sent = SmsCode.objects.create(key=key, phone=phone, salt=salt, code_hash=code_hash,
                                      ip=ip, created_at=now, expires_at=now + CODE_TTL)
        if phone:
            minutes = int(CODE_TTL.total_seconds() // 60)
            (gateway or default_gateway()).send(
                phone,
                f"【稳岗通】您的登录验证码为 {code}，{minutes} 分钟内有效。工作人员不会索要验证码，请勿告诉他人。")
    return sent


def request_code(uscc: str, *, ip: str | None, now: datetime | None = None,
                 gateway: SmsGateway | None = None) -> CodeSent:
    """Send a new one-time code to the unit's contact phone on record; older codes lapse."""
    now = now or timezone.now()
    uscc = validate_uscc(uscc.strip().upper())
    throttle.require_not_locked(uscc, _SMS_KINDS, now=now)
    unit = Unit.objects.filter(uscc=uscc).only("uscc", "contact_phone").first()
    if unit is None:
        raise LoginRefused(f"未找到参保单位 {uscc}，请核对统一社会信用代码",
                           f"no insured unit {uscc} on record; check the code")
    if not unit.contact_phone:
        raise NoPhoneOnRecord(uscc)
    sent = _send_code(uscc, unit.contact_phone, ip=ip, now=now, gateway=gateway)
    return CodeSent(key=uscc, masked_phone=mask_phone(sent.phone), expires_at=sent.expires_at)


def person_key(resident_id: str, *, today=None) -> str:
    """The login key of a resident ID: its blind index, once the number is well formed
    (18 characters, a real birth date, the GB 11643 check digit; raises ``IdentifierError``)."""
    number = validate_resident_id(resident_id.strip().upper(), today=today)
    return resident_id_digest(number)


def request_person_code(resident_id: str, *, ip: str | None, now: datetime | None = None,
                        gateway: SmsGateway | None = None) -> CodeSent:
    """Send a one-time code to the phone on the person's record.

    A malformed number is refused (it cannot be anyone's); a well-formed one with no person or
    no phone on record is answered exactly like one with — same limits, a code row that no
    code will ever match, no message — so the page cannot be used to learn who is on record.
    """
    now = now or timezone.now()
    key = person_key(resident_id, today=timezone.localdate(now))
    throttle.require_not_locked(key, _SMS_KINDS, now=now)
    phone = (Person.objects.filter(resident_id_digest=key).values_list("phone", flat=True)
             .first() or "")
    sent = _send_code(key, phone, ip=ip, now=now, gateway=gateway)
    return CodeSent(key=key, masked_phone="", expires_at=sent.expires_at)


def _require_sending_allowed(key: str, ip: str | None, now: datetime) -> None:
    latest = SmsCode.objects.filter(key=key).order_by("-created_at").first()
    if latest is not None and now < latest.created_at + RESEND_AFTER:
        raise RateLimited(throttle.seconds_until(latest.created_at + RESEND_AFTER, now))
    hour_ago = now - timedelta(hours=1)
    for codes, limit in ((SmsCode.objects.filter(key=key), CODES_PER_HOUR),
                         (SmsCode.objects.filter(ip=ip) if ip else None, CODES_PER_IP_PER_HOUR)):
        if codes is None:
            continue
        times = list(codes.filter(created_at__gt=hour_ago).order_by("-created_at")
                     .values_list("created_at", flat=True)[:limit])
        if len(times) >= limit:
            raise RateLimited(throttle.seconds_until(times[-1] + timedelta(hours=1), now))


def _check_code(key: str, code: str, *, ip: str | None, now: datetime) -> SmsCode:
    """Return ``key``'s latest code if ``code`` is it, unexpired; a wrong one is recorded (for
    the lockout: outside any transaction, so the refusal does not roll it back)."""
    throttle.require_not_locked(key, _SMS_KINDS, now=now)
    latest = SmsCode.objects.filter(key=key).order_by("-created_at").first()
    if latest is None or latest.used_at is not None:
        raise LoginRefused("请先获取验证码", "request a code first")
    if now >= latest.expires_at:
        raise CodeExpired()
    if not constant_time_compare(latest.code_hash, _hash_code(latest.salt, key, code.strip())):
        throttle.record(key, Attempt.Kind.SMS_CODE, succeeded=False, ip=ip, now=now)
        throttle.require_not_locked(key, _SMS_KINDS, now=now)
        raise CodeInvalid(throttle.failures_left(key, _SMS_KINDS, now=now))
    return latest


def _spend(latest: SmsCode, *, ip: str | None, now: datetime) -> None:
    """Use the code up (once, even against a concurrent request); call inside the transaction
    that logs the user in."""
    if SmsCode.objects.filter(pk=latest.pk, used_at__isnull=True).update(used_at=now) != 1:
        raise LoginRefused("验证码已使用，请重新获取", "the code was already used; request a new one")
    throttle.record(latest.key, Attempt.Kind.SMS_CODE, succeeded=True, ip=ip, now=now)


def verify_code(uscc: str, code: str, *, ip: str | None, now: datetime | None = None) -> User:
    """Check the unit's latest code; return its enterprise user (created at the first login)."""
    now = now or timezone.now()
    uscc = uscc.strip().upper()
    latest = _check_code(uscc, code, ip=ip, now=now)
    with transaction.atomic():
        _spend(latest, ip=ip, now=now)
        return _enterprise_user(uscc)


def verify_person_code(key: str, code: str, *, ip: str | None,
                       now: datetime | None = None) -> User:
    """Check the latest code of the person ``key`` (``CodeSent.key``, the blind index: the
    login page keeps that between its two steps, never the ID number); return their person
    user (created at the first login)."""
    now = now or timezone.now()
    latest = _check_code(key, code, ip=ip, now=now)
    with transaction.atomic():
        _spend(latest, ip=ip, now=now)
        return _person_user(key)


def _enterprise_user(uscc: str) -> User:
    unit = Unit.objects.get(uscc=uscc)
    user = User.objects.filter(role=Role.ENTERPRISE, uscc=uscc).first()
    if user is None:
        user = User(username=uscc, role=Role.ENTERPRISE, uscc=uscc, region_code=unit.region_code,
                    first_name=unit.name[:150])
        user.set_unusable_password()
        user.save()
    if not user.is_active:
        raise LoginRefused(f"单位 {uscc} 的账户已停用，请联系社保经办机构",
                           f"the account of unit {uscc} is disabled; contact the agency")
    return user


def _person_user(key: str) -> User:
    """The person's user, by blind index; made at the first login with the masked name only
    (the user table is no second register of people)."""
    person = Person.objects.get(resident_id_digest=key)
    user = User.objects.filter(role=Role.PERSON, resident_id_digest=key).first()
    if user is None:
        user = User(username=f"person-{key[:24]}", role=Role.PERSON, resident_id_digest=key,
                    region_code=person.region_code, first_name=person.name_masked[:150])
        user.set_unusable_password()
        user.save()
    if not user.is_active:
        raise LoginRefused(f"{person.name_masked} 的账户已停用，请联系社保经办机构",
                           f"the account of {person.name_masked} is disabled; contact the agency")
    return user


# --- staff ---------------------------------------------------------------------------------

def check_password(username: str, password: str, *, ip: str | None,
                   now: datetime | None = None) -> User:
    """The first factor of a staff login; the user is not logged in until ``verify_totp``."""
    now = now or timezone.now()
    throttle.require_not_locked(username, _STAFF_KINDS, now=now)
    user = authenticate(username=username, password=password)
    if user is None or user.role not in STAFF_ROLES:
        throttle.record(username, Attempt.Kind.PASSWORD, succeeded=False, ip=ip, now=now)
        throttle.require_not_locked(username, _STAFF_KINDS, now=now)
        raise LoginRefused("用户名或密码错误", "wrong username or password")
    return user


def needs_enrolment(user: User) -> bool:
    return not TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def start_enrolment(user: User, *, now: datetime | None = None) -> TOTPDevice:
    """Give a user without an authenticator a secret to add to their app (the same one until
    it is confirmed, so reloading the page does not invalidate what was scanned).

    Refused once a device is confirmed: replacing it takes an administrator (who deletes the
    device), or a stolen password would be enough to take over the second factor.
    """
    if not needs_enrolment(user):
        raise LoginRefused("动态口令已启用；更换设备请联系系统管理员",
                           "an authenticator is already enrolled; ask an administrator to reset it")
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, defaults={"secret": pyotp.random_base32(), "created_at": now or timezone.now()})
    return device


def provisioning_uri(device: TOTPDevice) -> str:
    return pyotp.TOTP(device.secret).provisioning_uri(name=device.user.username,
                                                       issuer_name=TOTP_ISSUER)


def confirm_enrolment(user: User, code: str, *, ip: str | None,
                      now: datetime | None = None) -> TOTPDevice:
    """Enable the new device once the user shows a valid code from it."""
    now = now or timezone.now()
    device = TOTPDevice.objects.filter(user=user, confirmed_at__isnull=True).first()
    if device is None:
        raise LoginRefused("请先生成动态口令密钥", "start the enrolment first")
    _check_totp(user, device, code, ip=ip, now=now)
    device.confirmed_at = now
    device.save(update_fields=["confirmed_at"])
    return device


def verify_totp(user: User, code: str, *, ip: str | None, now: datetime | None = None) -> None:
    """The second factor: a code of the current (or an adjacent) 30-second step, used once."""
    now = now or timezone.now()
    device = TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
    if device is None:
        raise LoginRefused("尚未启用动态口令", "no authenticator enrolled")
    _check_totp(user, device, code, ip=ip, now=now)


def _check_totp(user: User, device: TOTPDevice, code: str, *, ip: str | None,
                now: datetime) -> None:
    throttle.require_not_locked(user.username, _STAFF_KINDS, now=now)
    totp = pyotp.TOTP(device.secret)
    current = totp.timecode(now)
    # One step either side absorbs clock drift; a step already used is never accepted again.
    matched = next((step for step in (current - 1, current, current + 1)
                    if step > device.last_step
                    and constant_time_compare(totp.generate_otp(step), code.strip())), None)
    if matched is None:
        throttle.record(user.username, Attempt.Kind.TOTP, succeeded=False, ip=ip, now=now)
        throttle.require_not_locked(user.username, _STAFF_KINDS, now=now)
        raise CodeInvalid(throttle.failures_left(user.username, _STAFF_KINDS, now=now))
    with transaction.atomic():
        if TOTPDevice.objects.filter(pk=device.pk, last_step__lt=matched).update(last_step=matched) != 1:
            raise CodeInvalid(throttle.failures_left(user.username, _STAFF_KINDS, now=now))
        throttle.record(user.username, Attempt.Kind.TOTP, succeeded=True, ip=ip, now=now)
    device.last_step = matched
