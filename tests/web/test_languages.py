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
