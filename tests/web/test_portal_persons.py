"""The persons' portal: a trainee logs in with resident ID + SMS code and sees only their own
subsidies (amount, items and explanations, timeline, payment, masked account) and messages."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from wengang.accounts.models import Role, SmsOutbox, User
from wengang.cases.models import State
from wengang.core.clock import clock
from wengang.core.ids import resident_id_check_char
from wengang.outreach.models import Channel, Notice, Recipient, Status, Topic

from .person_builder import make_person, make_person_case, person_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def outbox(settings):
    settings.WENGANG_SMS_URL, settings.WENGANG_SMS_OUTBOX = "", True


def _code_from_outbox() -> str:
    return re.search(r"验证码为 (\d{6})", SmsOutbox.objects.first().text).group(1)


def _logged_in(person) -> Client:
    client = Client()
    client.force_login(person_user(person))
    return client


def test_a_trainee_logs_in_with_resident_id_and_code_and_sees_the_subsidy(world):
    person, number = make_person(name="李小龙", phone="13700370012")
    case = make_person_case(person, world.own_case.opened_by_run, amount_fen=57_600)
    client = Client()
    step = client.post(reverse("web:person-login"), {"resident_id": number})
    assert step.status_code == 302 and step["Location"] == reverse("web:person-code")
    assert SmsOutbox.objects.get().phone == "13700370012"
    assert number not in str(dict(client.session))  # the session holds the blind index only
    home = client.post(reverse("web:person-code"), {"code": _code_from_outbox()}, follow=True)
    text = home.content.decode()
    assert home.redirect_chain[-1][0] == reverse("web:person-home")
    assert "576.00" in text and "线上培训课程" in text and "48 学时 ≥ 40 学时" in text
    assert "李*龙" in text and person.resident_id_masked in text and number not in text
    assert "****5678" in text and "6217000012345678" not in text
    user = User.objects.get(role=Role.PERSON, resident_id_digest=person.resident_id_digest)
    assert user.region_code == person.region_code and number not in user.username
    assert client.get(reverse("web:person-case", args=[case.pk])).status_code == 200


def test_an_unknown_resident_id_gets_the_same_page_as_a_known_one(world):
    _known, number = make_person()
    unknown = number[:14] + "999"
    unknown += resident_id_check_char(unknown)
    csrf = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"|"X-CSRFToken": "[^"]+"')
    pages = []
    for rid in (number, unknown):
        step = Client().post(reverse("web:person-login"), {"resident_id": rid}, follow=True)
        pages.append((step.redirect_chain, csrf.sub("", step.content.decode())))
    assert pages[0] == pages[1] and pages[0][0] == [(reverse("web:person-code"), 302)]
    assert SmsOutbox.objects.count() == 1  # only the person on record was texted


def test_an_id_number_with_a_bad_check_digit_is_refused_with_the_reason(world):
    _person, number = make_person()
    bad = number[:17] + ("0" if number[17] != "0" else "1")
    page = Client().post(reverse("web:person-login"), {"resident_id": bad})
    text = page.content.decode()
    assert page.status_code == 200 and "身份证号码校验位错误" in text
    assert not SmsOutbox.objects.exists()


def test_a_person_sees_only_their_own_cases_and_not_anothers(world):
    mine, _ = make_person(name="王小明")
    theirs, _ = make_person(name="赵大海", phone="13900390099")
    run = world.own_case.opened_by_run
    own = make_person_case(mine, run, amount_fen=57_600)
    other = make_person_case(theirs, run, amount_fen=98_700, program="training-certificate-2024")
    client = _logged_in(mine)
    text = client.get(reverse("web:person-home")).content.decode()
    assert "576.00" in text and "987.00" not in text and "赵" not in text
    assert f'id="case-{own.pk}"' in text and f'id="case-{other.pk}"' not in text
    assert world.own_case.unit.name not in text
    assert client.get(reverse("web:person-case", args=[other.pk])).status_code == 404
    assert client.get(reverse("web:person-case", args=[world.own_case.pk])).status_code == 404


def test_a_paid_subsidy_shows_the_payment_and_the_timeline_to_the_last_step(world):
    person, _ = make_person()
    case = make_person_case(person, world.own_case.opened_by_run, state=State.PAID)
    text = _logged_in(person).get(reverse("web:person-case", args=[case.pk])).content.decode()
    assert "已发放至您的账户 ****5678" in text and "到账" in text


def test_the_inbox_shows_the_persons_notices_only_and_opening_one_marks_it_read(world):
    person, _ = make_person()
    other, _ = make_person(phone="13900390099")
    run = world.own_case.opened_by_run
    cases = [make_person_case(p, run) for p in (person, other)]
    now = clock.now()
    notices = [Notice.objects.create(
        person=p, case=c, topic=Topic.PERSON_ELIGIBLE, channel=Channel.INBOX,
        recipient=Recipient.PERSON, amount_fen=c.amount_fen, status=Status.DELIVERED,
        text=f"【稳岗通】{p.name_masked}：经比对，您符合条件 #{c.pk}", next_attempt_at=now,
        created_at=now) for p, c in zip((person, other), cases, strict=True)]
    client = _logged_in(person)
    text = client.get(reverse("web:person-inbox")).content.decode()
    assert f"#{cases[0].pk}" in text and f"#{cases[1].pk}" not in text and "未读" in text
    assert client.get(reverse("web:person-notice", args=[notices[1].pk])).status_code == 404
    assert client.get(reverse("web:person-notice", args=[notices[0].pk])).status_code == 200
    assert "未读" not in client.get(reverse("web:person-inbox")).content.decode()


def test_the_account_page_shows_the_masked_account_and_how_to_change_it(world):
    person, _ = make_person()
    make_person_case(person, world.own_case.opened_by_run)
    response = _logged_in(person).get(reverse("web:person-account"))
    text = response.content.decode()
    assert "****5678" in text and "6217000012345678" not in text and "12333" in text
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_a_person_logging_out_returns_to_the_person_login(world):
    person, _ = make_person()
    client = _logged_in(person)
    assert client.post(reverse("web:logout"))["Location"] == reverse("web:person-login")
    assert client.get(reverse("web:person-home"))["Location"] == reverse("web:person-login")
