"""The demo's helpers: the SMS outbox, a staff user's current TOTP code, the printed logins."""

import re
from io import StringIO

import pyotp
import pytest
from django.core.management import CommandError, call_command

from wengang.accounts.models import Role, SmsOutbox, TOTPDevice, User
from wengang.demo.walkthrough import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_totp_code_enrols_the_user_and_prints_the_current_code(settings):
    settings.DEBUG = True
    officer = User.objects.create_user("officer", password=None, role=Role.AGENCY,
                                       region_code="360100")
    code = re.match(r"(\d{6}) ", _run("totp_code", "officer")).group(1)
    device = TOTPDevice.objects.get(user=officer)
    assert device.confirmed_at is not None and pyotp.TOTP(device.secret).verify(code, valid_window=1)


@pytest.mark.parametrize(("debug", "username"), [(False, "officer"), (True, "nobody"),
                                                 (True, "ent")])
def test_totp_code_refuses_production_unknown_users_and_enterprises(settings, debug, username):
    settings.DEBUG = debug
    User.objects.create_user("officer", password=None, role=Role.AGENCY, region_code="360100")
    User.objects.create_user("ent", password=None, role=Role.ENTERPRISE, region_code="360102",
                             uscc="91360102MA35L7XK2B")
    with pytest.raises(CommandError):
        _run("totp_code", username)
    assert not TOTPDevice.objects.exists()


def test_the_outbox_prints_the_latest_messages_only_in_development(settings):
    from django.utils import timezone

    SmsOutbox.objects.create(phone="13800380012", text="【稳岗通】您的登录验证码为 123456",
                             sent_at=timezone.now())
    settings.WENGANG_SMS_OUTBOX = True
    assert "13800380012  【稳岗通】您的登录验证码为 123456" in _run("sms_outbox")
    settings.WENGANG_SMS_OUTBOX = False
    with pytest.raises(CommandError):
        _run("sms_outbox")


def test_demo_logins_adds_the_remaining_roles_and_prints_every_login(settings):
    # A dozen demo passwords: a cheap hasher keeps the test fast (login is tested elsewhere).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    printed = _run("demo_logins")
    supervisor = User.objects.get(username="nanchang-supervisor")
    assert supervisor.role == Role.SUPERVISOR and supervisor.check_password(DEMO_PASSWORD)
    assert User.objects.get(username="nanchang-service").role == Role.SERVICE_OFFICER
    for username in ("nanchang-agency", "nanchang-tax", "auditor", "admin", "nanchang-supervisor"):
        assert username in printed
    assert DEMO_PASSWORD in printed and "totp_code" in printed and "sms_outbox" in printed
