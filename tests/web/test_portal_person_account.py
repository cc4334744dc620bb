"""A trainee asks on /me/account/ for their subsidy to go to another account; an officer
verifies it in the console after the cooling-off period; /me/ then shows the new account."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from wengang.cases.models import Person, State
from wengang.core.clock import clock
from wengang.payments.models import AccountChange

from .person_builder import make_person, make_person_case, person_user

pytestmark = pytest.mark.django_db

NEW = "6228480000009999"
URL = reverse("web:person-account")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def trainee(world):
    """The world's person (张三丰), with a payable subsidy: (person, logged-in client, case)."""
    person = Person.objects.get(resident_id_digest=world.users["person"].resident_id_digest)
    case = make_person_case(person, world.own_case.opened_by_run, state=State.PAYABLE)
    return person, client_for(world.users["person"]), case


def form(holder="张三丰", number=NEW):
    return {"account_number": number, "bank_name": "农业银行", "holder_name": holder}


def test_a_trainee_asks_for_a_new_account_and_sees_it_pending(trainee):
    person, client, _case = trainee
    page = client.get(URL).content.decode()
    assert 'name="account_number"' in page and "****5678" in page and "须为本人姓名" in page
    response = client.post(URL, form())
    assert response.status_code == 302 and response["Location"] == URL
    change = AccountChange.objects.get()
    assert (change.person, change.unit, change.channel) == (person, None, "online")
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert said == [(f"已提交账户变更申请。冷静期满（{change.verifiable_from}）后经办机构核实，"
                     "核实前仍发放至原账户。")]
    page = client.get(URL).content.decode()
    assert "****9999" in page and "待核实" in page and NEW not in page


@pytest.mark.parametrize("data, said", [
    (form(holder="李四"), "与本人姓名不一致"),
    (form(number="1234567"), "账号应为 8–34 位数字"),
    (form(number="12345678901234567890123456789012345"), "账号应为 8–34 位数字"),
])
def test_a_bad_holder_or_number_is_refused_and_nothing_is_stored(trainee, data, said):
    _person, client, _case = trainee
    response = client.post(URL, data)
    assert response.status_code == 400 and said in response.content.decode()
    assert not AccountChange.objects.exists()


def test_a_trainee_whose_subsidies_are_all_paid_gets_the_reason_and_no_form(world):
    person, _ = make_person(name="王五", phone="13900390077")
    make_person_case(person, world.own_case.opened_by_run, state=State.PAID)
    client = client_for(person_user(person))
    page = client.get(URL).content.decode()
    assert 'name="account_number"' not in page and "无需变更收款账户" in page
    response = client.post(URL, form(holder="王五"))
    assert response.status_code == 400 and "already sent to the bank" in response.content.decode()
    assert not AccountChange.objects.exists()


def test_the_internet_instance_sends_it_inward_and_records_no_change(trainee, settings,
                                                                     monkeypatch):
    from wengang.zones.models import Submission  # two-zone: docs/two-zone.md

    monkeypatch.setenv("WENGANG_ZONE_KEY", "5a" * 32)
    settings.WENGANG_ZONE = "internet"
    _person, client, _case = trainee
    response = client.post(URL, form())
    assert response.status_code == 302 and not AccountChange.objects.exists()
    submission = Submission.objects.get()
    assert submission.kind == "account_change" and NEW not in str(submission.message.payload)


def test_a_trainee_sees_only_their_own_requests(world, trainee):
    _person, client, _case = trainee
    other, _ = make_person(name="赵六", phone="13900390066")
    make_person_case(other, world.own_case.opened_by_run, state=State.PAYABLE)
    assert client_for(person_user(other)).post(URL, form(holder="赵六", number="6228480000007777")
                                               ).status_code == 302
    page = client.get(URL).content.decode()
    assert "****7777" not in page and 'id="changes"' not in page


def test_an_officer_verifies_it_in_the_console_and_the_subsidy_shows_the_new_account(
        world, trainee):
    person, client, case = trainee
    client.post(URL, form())
    change = AccountChange.objects.get()
    agency = client_for(world.users["agency"])
    listing = agency.get(reverse("web:console-account-changes")).content.decode()
    row = listing.split(f'id="change-{change.pk}"')[1].split("</tr>")[0]
    assert "张*丰" in row and person.resident_id_masked in row and "****9999" in row
    assert "张三丰" not in listing and NEW not in listing
    decide = reverse("web:console-account-change-decide", kwargs={"pk": change.pk})
    other = client_for(world.users["other_agency"])
    assert other.post(decide, {"outcome": "approve", "note": "x"}).status_code == 404
    assert f'id="case-{case.pk}"' in client.get(reverse("web:person-home")).content.decode()
    assert "****9999" not in client.get(reverse("web:person-home")).content.decode()
    with clock.frozen(change.verifiable_from):
        agency.post(decide, {"outcome": "approve", "note": "电话联系本人核实"})
    change.refresh_from_db()
    assert change.status == AccountChange.Status.APPROVED
    home = client.get(reverse("web:person-home")).content.decode()
    assert "发放至您的账户 ****9999" in home
    page = client.get(URL).content.decode()
    assert "已核实" in page and "（电话联系本人核实）" in page
    assert page.split(f'id="account-{case.pk}">')[1].split("</li>")[0].endswith("****9999")


def test_the_page_and_its_refusals_read_in_english(trainee):
    _person, client, _case = trainee
    client.cookies["django_language"] = "en"
    page = client.get(URL).content.decode()
    assert "Ask for a new receiving account" in page and "the holder must be you" in page
    refused = client.post(URL, form(holder="李四")).content.decode()
    assert "subsidies go only to the person&#x27;s own account" in refused
    assert not AccountChange.objects.exists()
