"""The login pages end to end (Django test client): SMS code from the outbox; password + TOTP."""

import re
import time

import pyotp
import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from wengang.accounts.models import Role, SmsOutbox, TOTPDevice, User

pytestmark = pytest.mark.django_db
PASSWORD = "nanchang-ok-2020"


@pytest.fixture(autouse=True)
def outbox(settings):
    settings.WENGANG_SMS_URL, settings.WENGANG_SMS_OUTBOX = "", True


def _code_from_outbox() -> str:
    return re.search(r"验证码为 (\d{6})", SmsOutbox.objects.first().text).group(1)


def test_an_enterprise_logs_in_with_its_code_and_sees_only_its_unit(world):
    client = Client()
    uscc = world.own_case.unit.uscc
    page = client.post(reverse("web:enterprise-login"), {"uscc": uscc}, follow=True)
    assert "验证码已发送至 138****" in page.content.decode()
    home = client.post(reverse("web:enterprise-code"), {"code": _code_from_outbox()}, follow=True)
    text = home.content.decode()
    assert home.redirect_chain[-1][0] == reverse("web:portal-home")
    assert world.own_case.unit.name in text and "119,450.00" in text
    assert world.other_case.unit.name not in text and world.published_case.unit.name not in text


def test_a_wrong_code_is_refused_with_the_tries_left(world):
    client = Client()
    client.post(reverse("web:enterprise-login"), {"uscc": world.own_case.unit.uscc})
    wrong = f"{(int(_code_from_outbox()) + 1) % 1_000_000:06d}"
    page = client.post(reverse("web:enterprise-code"), {"code": wrong})
    assert page.status_code == 200 and "还可尝试 4 次" in page.content.decode()
    assert client.get(reverse("web:portal-home")).status_code == 302


def _staff(username: str = "officer2", role: str = Role.AGENCY) -> User:
    return User.objects.create_user(username, password=PASSWORD, role=role, region_code="360100")


def test_a_new_officer_enrols_an_authenticator_at_the_first_login(world):
    _staff()
    client = Client()
    step = client.post(reverse("web:staff-login"), {"username": "officer2", "password": PASSWORD})
    assert step["Location"] == reverse("web:staff-enrol")
    page = client.get(step["Location"]).content.decode()
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    assert client.get(reverse("web:console-home")).status_code == 302  # not logged in yet
    done = client.post(reverse("web:staff-enrol"), {"code": pyotp.TOTP(secret).now()})
    assert done["Location"] == reverse("web:console-home")
    assert client.get(reverse("web:console-home")).status_code == 200
    assert TOTPDevice.objects.get(user__username="officer2").confirmed_at is not None


def test_an_enrolled_reviewer_needs_the_code_and_lands_on_the_review_tasks(world):
    reviewer = _staff("tax2", Role.DEPARTMENT)
    User.objects.filter(pk=reviewer.pk).update(department="tax")
    device = TOTPDevice.objects.create(user=reviewer, secret=pyotp.random_base32(),
                                       created_at="2020-04-01T00:00:00+08:00",
                                       confirmed_at="2020-04-01T00:00:00+08:00")
    client = Client()
    step = client.post(reverse("web:staff-login"), {"username": "tax2", "password": PASSWORD})
    assert step["Location"] == reverse("web:staff-totp")
    refused = client.post(reverse("web:staff-totp"), {"code": "000000"
                          if pyotp.TOTP(device.secret).now() != "000000" else "111111"})
    assert "动态口令" in refused.content.decode() and "还可尝试" in refused.content.decode()
    done = client.post(reverse("web:staff-totp"), {"code": pyotp.TOTP(device.secret).now()})
    assert done["Location"] == reverse("web:review-tasks")


def test_a_wrong_password_does_not_reach_the_second_factor(world):
    _staff()
    client = Client()
    page = client.post(reverse("web:staff-login"), {"username": "officer2", "password": "nope"})
    assert "用户名或密码错误" in page.content.decode()
    assert client.get(reverse("web:staff-totp"))["Location"] == reverse("web:staff-login")


def test_the_admin_has_no_password_only_login_of_its_own():
    response = Client().get("/admin/login/")
    assert response.status_code == 302 and response["Location"] == reverse("web:staff-login")


def test_sessions_end_after_thirty_idle_minutes_and_at_browser_close():
    assert django_settings.SESSION_COOKIE_AGE == 30 * 60
    assert django_settings.SESSION_SAVE_EVERY_REQUEST and django_settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_each_request_renews_the_session_and_idleness_ends_it(world, settings):
    settings.SESSION_COOKIE_AGE = 2  # seconds, to see it happen
    client = Client()
    client.force_login(world.users["agency"])
    home = reverse("web:console-home")
    time.sleep(1.2)
    assert client.get(home).status_code == 200     # renews until 3.2 s
    time.sleep(1.2)
    assert client.get(home).status_code == 200     # 2.4 s: alive only because it was renewed
    time.sleep(2.1)
    assert client.get(home)["Location"] == reverse("web:staff-login")


def test_logging_out_ends_the_session(world):
    client = Client()
    client.force_login(world.users["enterprise"])
    assert client.get(reverse("web:portal-home")).status_code == 200
    client.post(reverse("web:logout"))
    assert client.get(reverse("web:portal-home")).status_code == 302


def test_forms_need_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("web:enterprise-login"), {"uscc": world.own_case.unit.uscc})
    assert response.status_code == 403 and not SmsOutbox.objects.exists()


def test_an_officer_enrolled_meanwhile_is_sent_to_the_code_page(world):
    officer = _staff()
    client = Client()
    client.post(reverse("web:staff-login"), {"username": "officer2", "password": PASSWORD})
    TOTPDevice.objects.create(user=officer, secret=pyotp.random_base32(),
                              created_at="2020-04-01T00:00:00+08:00",
                              confirmed_at="2020-04-01T00:00:00+08:00")
    response = client.post(reverse("web:staff-enrol"), {"code": "123456"})
    assert response["Location"] == reverse("web:staff-totp")
    assert client.get(reverse("web:console-home")).status_code == 302
