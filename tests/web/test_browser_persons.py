"""Browser test of the persons' portal: a trainee on a phone logs in with their resident ID and
the SMS code from the outbox, and sees the subsidy's amount and why; another asks for a new
receiving account. Chromium is launched as in ``test_browser`` (whose fixtures this module
uses); screenshots go to ``var/artifacts/``."""

import re

import pytest

from wengang.accounts.models import SmsOutbox
from wengang.payments.models import AccountChange

from .person_builder import make_person, make_person_case
from .test_browser import PHONE, browser, open_page, outbox, shot  # noqa: F401 — fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_trainee_on_a_phone_logs_in_with_the_id_and_sees_the_subsidy(world, open_page):  # noqa: F811
    person, number = make_person(name="李小龙", phone="13700370012")
    case = make_person_case(person, world.own_case.opened_by_run, amount_fen=57_600)
    page = open_page(**PHONE)
    page.goto("/")
    page.click("text=个人登录")
    page.wait_for_url("**/me/login/")
    page.fill("input[name=resident_id]", number)
    shot(page, "person-1-login")
    page.click("text=获取验证码")
    page.wait_for_url("**/me/login/code/")
    assert "验证码已发送至该手机" in page.inner_text("main")
    message = SmsOutbox.objects.get()
    assert message.phone == "13700370012"
    page.fill("input[name=code]", re.search(r"验证码为 (\d{6})", message.text).group(1))
    shot(page, "person-2-code")
    page.click("button.primary")
    page.wait_for_url("**/me/")
    assert page.inner_text(f"#case-{case.pk} .amount") == "¥576.00"
    main = page.inner_text("main")
    assert "2020年线上职业技能培训补贴" in main and "李*龙" in main and number not in main
    assert "48 学时 ≥ 40 学时" in page.inner_text(".reasons")
    assert "****5678" in main
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    shot(page, "person-3-home")
    page.click("text=办理记录")
    page.wait_for_url(f"**/me/cases/{case.pk}/")
    assert "补贴明细" in page.inner_text("main")
    shot(page, "person-4-case")


def test_a_trainee_on_a_phone_asks_for_a_new_receiving_account(world, open_page):  # noqa: F811
    person, number = make_person(name="李小龙", phone="13700370012")
    make_person_case(person, world.own_case.opened_by_run, state="payable")
    page = open_page(**PHONE)
    page.goto("/me/login/")
    page.fill("input[name=resident_id]", number)
    page.click("text=获取验证码")
    page.wait_for_url("**/me/login/code/")
    page.fill("input[name=code]",
              re.search(r"验证码为 (\d{6})", SmsOutbox.objects.get().text).group(1))
    page.click("button.primary")
    page.wait_for_url("**/me/")
    page.click("text=收款账户")
    page.wait_for_url("**/me/account/")
    page.fill("input[name=account_number]", "6228480000009999")
    page.fill("input[name=bank_name]", "中国农业银行南昌分行")
    page.fill("input[name=holder_name]", "李小龙")
    shot(page, "person-5-account-form")
    page.click("text=提交变更申请")
    page.wait_for_url("**/me/account/")
    change = AccountChange.objects.get()
    assert change.person == person
    main = page.inner_text("main")
    assert "已提交账户变更申请" in main and str(change.verifiable_from) in main
    assert "****9999" in page.inner_text("#changes") and "6228480000009999" not in main
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    shot(page, "person-6-account-change")
