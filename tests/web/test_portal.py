"""The enterprise portal: the card (decision, amount, route, timeline), why, confirm / apply."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from wengang.cases.models import Case, CaseEvent, Commitment, CommitmentText, State

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(world) -> Client:
    client = Client()
    client.force_login(world.users["enterprise"])
    return client


def _confirm(client, case, **changes):
    data = {"insured": "25", "signatory_name": "张三", "agree": "on",
            "amount_fen": case.amount_fen, "version": case.version, **changes}
    return client.post(reverse("web:portal-confirm", kwargs={"pk": case.pk}), data)


def test_the_home_card_shows_decision_amount_route_and_the_current_step(client, world):
    page = client.get(reverse("web:portal-home")).content.decode()
    assert "贵单位符合 2020 年失业保险稳岗返还条件" in page
    assert "¥119,450.00" in page
    assert "请确认信息并签署承诺书" in page and "截止 2020-05-29" in page
    assert '<li class="current"><span class="dot"></span><span class="label">确认/申请' in page


def test_why_lists_each_rule_ticked(client, world):
    page = client.get(reverse("web:portal-case", kwargs={"pk": world.own_case.pk})).content.decode()
    assert "裁员率 0.00% ≤ 5.5% <span class=\"mark\">✓</span>" in page
    assert "119,450.00 元 × 返还比例 100%" in page


def test_confirming_with_the_commitment_letter_applies_through_the_workflow(client, world,
                                                                            commitment_text):
    case = world.own_case
    page = client.get(reverse("web:portal-confirm", kwargs={"pk": case.pk})).content.decode()
    first_line = commitment_text.text.strip().splitlines()[0]
    assert commitment_text.title in page and first_line in page and "****2222" in page
    response = _confirm(client, case)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.APPLIED
    commitment = Commitment.objects.get(case=case)
    assert commitment.text == commitment_text
    assert (commitment.signatory_name, commitment.confirmed_insured, commitment.channel) == (
        "张三", 25, "online")
    event = CaseEvent.objects.filter(case=case).last()
    assert (event.action, event.actor, event.channel) == ("applied", world.users["enterprise"], "online")


@pytest.mark.parametrize("changes", [
    {"agree": ""},                     # the box is not ticked
    {"signatory_name": ""},            # nobody signs
])
def test_an_incomplete_confirmation_changes_nothing(client, world, changes):
    response = _confirm(client, world.own_case, **changes)
    assert response.status_code == 200
    assert Case.objects.get(pk=world.own_case.pk).state == State.AWAITING_APPLICATION
    assert not Commitment.objects.exists()


def test_an_amount_changed_since_the_page_was_shown_is_refused(client, world):
    response = _confirm(client, world.own_case, amount_fen=world.own_case.amount_fen - 1)
    assert "请重新确认" in response.content.decode()
    assert Case.objects.get(pk=world.own_case.pk).state == State.AWAITING_APPLICATION


def test_a_page_older_than_the_case_is_a_conflict(client, world):
    response = _confirm(client, world.own_case, version=world.own_case.version + 1)
    assert "已被他人处理" in response.content.decode()
    assert not Commitment.objects.exists()


def test_a_letter_changed_after_it_was_shown_is_not_signed(client, world, commitment_text):
    case = world.own_case
    url = reverse("web:portal-confirm", kwargs={"pk": case.pk})
    assert f'name="letter" value="{commitment_text.sha256}"' in client.get(url).content.decode()
    newer = CommitmentText.objects.create(version="2020-2", title="承诺书（修订）",
                                          text="本单位承诺：新增一条。", valid_from=date(2020, 4, 1))
    refused = _confirm(client, case, letter=commitment_text.sha256)  # the letter read before
    page = refused.content.decode()
    assert refused.status_code == 200 and "承诺书已在您阅读后更新" in page
    assert "本单位承诺：新增一条。" in page and f'value="{newer.sha256}"' in page
    assert Case.objects.get(pk=case.pk).state == State.AWAITING_APPLICATION
    assert not Commitment.objects.exists()

    assert _confirm(client, case, letter=newer.sha256).status_code == 302  # the one read now
    assert Commitment.objects.get(case=case).text == newer


def test_an_enterprise_opens_the_confirmation_of_its_own_case_only(world):
    client = Client()
    client.force_login(world.users["other_enterprise"])
    assert client.get(reverse("web:portal-confirm",
                              kwargs={"pk": world.other_case.pk})).status_code == 200
    assert client.get(reverse("web:portal-confirm",
                              kwargs={"pk": world.own_case.pk})).status_code == 404


def test_a_case_that_needs_no_confirmation_sends_the_enterprise_back(client, world):
    _confirm(client, world.own_case)
    response = client.get(reverse("web:portal-confirm", kwargs={"pk": world.own_case.pk}))
    assert response["Location"] == reverse("web:portal-case", kwargs={"pk": world.own_case.pk})
    assert Commitment.objects.count() == 1
