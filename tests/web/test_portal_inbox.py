"""The enterprise's messages and its account-change request in the portal."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from wengang.core.clock import clock
from wengang.outreach.models import Notice
from wengang.payments.models import AccountChange
from wengang.web.models import NoticeRead

from .conftest import World

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def notice(case, topic: str, *, channel: str = "inbox", status: str = "delivered",
           text: str = "", minutes: int = 0) -> Notice:
    at = clock.now() + timedelta(minutes=minutes)
    return Notice.objects.create(unit=case.unit, case=case, topic=topic, channel=channel,
                                 recipient="unit" if channel == "inbox" else "contact",
                                 amount_fen=case.amount_fen, status=status, text=text,
                                 next_attempt_at=at, created_at=at)


@pytest.fixture
def notices(world: World):
    own = world.own_case
    return {
        "eligible": notice(own, "eligible_application", text="贵单位符合稳岗返还条件，请于5月29日前确认。"),
        "sms": notice(own, "reminder", channel="sms", text="请尽快确认稳岗返还申请", minutes=5),
        "suppressed": notice(own, "approved", channel="sms", status="suppressed", minutes=6),
        "other": notice(world.other_case, "eligible_application", text="另一单位的消息"),
    }


def test_the_inbox_lists_the_units_own_notices_newest_first(world, notices):
    page = client_for(world.users["enterprise"]).get(reverse("web:portal-inbox"))
    text = page.content.decode()
    assert text.index("申请截止提醒") < text.index("符合条件（请确认申请）")
    assert "2 条未读" in text
    assert "另一单位的消息" not in text
    assert f'id="notice-{notices["suppressed"].pk}"' not in text  # never sent


def test_opening_a_notice_marks_it_read(world, notices):
    client = client_for(world.users["enterprise"])
    response = client.get(reverse("web:portal-notice", kwargs={"pk": notices["eligible"].pk}))
    assert response.status_code == 200 and "请于5月29日前确认" in response.content.decode()
    assert NoticeRead.objects.filter(notice=notices["eligible"]).count() == 1
    client.get(reverse("web:portal-notice", kwargs={"pk": notices["eligible"].pk}))
    assert NoticeRead.objects.count() == 1  # reading twice records once
    text = client.get(reverse("web:portal-inbox")).content.decode()
    assert "1 条未读" in text
    unread_only = client.get(reverse("web:portal-inbox") + "?unread=1").content.decode()
    assert f'id="notice-{notices["sms"].pk}"' in unread_only
    assert f'id="notice-{notices["eligible"].pk}"' not in unread_only


def test_mark_all_read(world, notices):
    client = client_for(world.users["enterprise"])
    client.post(reverse("web:portal-inbox-read"))
    assert set(NoticeRead.objects.values_list("notice_id", flat=True)) == {
        notices["eligible"].pk, notices["sms"].pk}
    text = client.get(reverse("web:portal-inbox")).content.decode()
    assert "条未读" not in text and "notice unread" not in text


def test_another_units_notice_is_not_found_and_stays_unread(world, notices):
    client = client_for(world.users["enterprise"])
    response = client.get(reverse("web:portal-notice", kwargs={"pk": notices["other"].pk}))
    assert response.status_code == 404
    assert not NoticeRead.objects.exists()


def test_an_enterprise_asks_for_an_account_change_and_sees_its_cooling_off(world):
    client = client_for(world.users["enterprise"])
    unit = world.own_case.unit
    response = client.post(reverse("web:portal-account"), {
        "account_number": "6222000099998888", "bank_name": "中国银行南昌分行",
        "holder_name": unit.name}, follow=True)
    change = AccountChange.objects.get()
    assert change.unit == unit and change.status == AccountChange.Status.PENDING
    assert change.channel == "online" and change.requested_by == world.users["enterprise"]
    text = response.content.decode()
    assert f"冷静期至 {change.verifiable_from:%Y-%m-%d}" in text
    assert "****8888" in text and "6222000099998888" not in text


@pytest.mark.parametrize(("data", "why"), [
    ({"account_number": "6222000099998888", "bank_name": "中国银行", "holder_name": "张三"},
     "户名“张三”与单位名称"),
    ({"account_number": "1234567", "bank_name": "中国银行", "holder_name": "{unit}"},
     "账号应为 8–34 位数字"),
    ({"account_number": "1" * 35, "bank_name": "中国银行", "holder_name": "{unit}"},
     "账号应为 8–34 位数字"),
])
def test_a_wrong_holder_or_number_is_refused_and_nothing_recorded(world, data, why):
    client = client_for(world.users["enterprise"])
    data = {k: v.replace("{unit}", world.own_case.unit.name) for k, v in data.items()}
    response = client.post(reverse("web:portal-account"), data)
    assert response.status_code == 400 and why in response.content.decode()
    assert not AccountChange.objects.exists()


def test_the_shortest_and_longest_account_numbers_are_accepted(world):
    client = client_for(world.users["enterprise"])
    for number in ("1" * 8, "2" * 34):
        client.post(reverse("web:portal-account"), {
            "account_number": number, "bank_name": "中国银行",
            "holder_name": world.own_case.unit.name})
    assert AccountChange.objects.count() == 2


def test_a_failed_payment_points_the_enterprise_to_the_account_change(world, make_case):
    failed = make_case("payment_failed", route="automatic")
    user = type(world.users["enterprise"]).objects.create_user(
        f"ent-{failed.unit.uscc}", password=None, role="enterprise", uscc=failed.unit.uscc,
        region_code=failed.unit.region_code)
    text = client_for(user).get(reverse("web:portal-home")).content.decode()
    assert "银行退回了这笔拨付" in text and reverse("web:portal-account") in text
    assert "银行退回了这笔拨付" not in client_for(world.users["enterprise"]).get(
        reverse("web:portal-home")).content.decode()
