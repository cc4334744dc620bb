"""Chinese first; English through Django's i18n (the switch in the header)."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_pages_are_in_chinese_by_default():
    page = Client().get(reverse("web:enterprise-login")).content.decode()
    assert '<html lang="zh-hans">' in page and "获取验证码" in page


def test_the_switch_turns_the_pages_into_english():
    client = Client()
    client.post(reverse("set_language"), {"language": "en", "next": "/portal/login/"})
    page = client.get(reverse("web:enterprise-login")).content.decode()
    assert '<html lang="en">' in page and "Send me a code" in page and "获取验证码" not in page
    assert "中文" in page  # and back


def test_the_portal_card_reads_in_english(world):
    client = Client()
    client.force_login(world.users["enterprise"])
    client.post(reverse("set_language"), {"language": "en", "next": "/portal/"})
    page = client.get(reverse("web:portal-home")).content.decode()
    assert "Your unit qualifies for the 2020 job-stabilization refund" in page
    assert "¥119,450.00" in page


@pytest.mark.parametrize("accept", ["en-US,en;q=0.9", "en", "zh-TW,en;q=0.5", "fr"])
def test_an_english_browser_still_gets_chinese_until_the_user_chooses(accept):
    client = Client(HTTP_ACCEPT_LANGUAGE=accept)
    page = client.get(reverse("web:enterprise-login")).content.decode()
    assert '<html lang="zh-hans">' in page and "获取验证码" in page
    client.post(reverse("set_language"), {"language": "en", "next": "/portal/login/"})
    assert '<html lang="en">' in client.get(reverse("web:enterprise-login")).content.decode()


def test_case_states_and_labels_read_in_english(world):
    client = Client()
    client.force_login(world.users["agency"])
    client.cookies["django_language"] = "en"
    page = client.get(reverse("web:console-case", kwargs={"pk": world.own_case.pk}))
    text = page.content.decode()
    assert "Awaiting application" in text and "待申请" not in text


def test_sizes_read_in_english_too(world):
    client = Client()
    client.force_login(world.users["agency"])
    client.cookies["django_language"] = "en"
    text = client.get(reverse("web:console-queue")).content.decode()
    assert "Small" in text and "小型" not in text


def test_the_payments_and_inbox_pages_read_in_english(world):
    finance = Client()
    finance.force_login(world.users["finance"])
    finance.cookies["django_language"] = "en"
    text = finance.get(reverse("web:console-payments")).content.decode()
    assert "Build payment batches" in text and "Allot a budget" in text and "资金预算" not in text
    enterprise = Client()
    enterprise.force_login(world.users["enterprise"])
    enterprise.cookies["django_language"] = "en"
    text = enterprise.get(reverse("web:portal-inbox")).content.decode()
    assert "No messages." in text and "暂无消息" not in text
