"""One-tap confirmation (htmx): the POST answers with the case's updated card in place of the
letter, no redirect; every refusal renders in place too; without JS, Post/Redirect/Get as before.
The checks are the workflow's either way: role and region, CSRF, the letter's fingerprint, the
version shown, the row lock, the event."""

from datetime import date

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from wengang.cases.models import Case, CaseEvent, Commitment, CommitmentText, State

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def client(world) -> Client:
    client = Client()
    client.force_login(world.users["enterprise"])
    return client


def _confirm(client, case, htmx=True, **changes):
    data = {"insured": "25", "signatory_name": "张三", "agree": "on",
            "amount_fen": case.amount_fen, "version": case.version, **changes}
    return client.post(reverse("web:portal-confirm", kwargs={"pk": case.pk}), data,
                       **(HTMX if htmx else {}))


def _card(page: str) -> str:
    """The case's card (``<article>`` … ``</article>``)."""
    return page[page.index('<article class="card">'):page.index("</article>") + 10]


def test_a_confirmation_answers_with_the_updated_card_and_the_case_page_address(
        client, world, commitment_text):
    case = world.own_case
    response = _confirm(client, case)
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page  # a fragment, swapped in
    assert response["HX-Push-Url"] == reverse("web:portal-case", kwargs={"pk": case.pk})
    assert '<ul class="messages" role="status"><li class="success">已确认并签署承诺书' in page
    stored = Case.objects.get(pk=case.pk)
    assert stored.state == State.APPLIED and 'id="confirm"' not in page
    assert "已确认，正在办理" in page and "确认信息并签署承诺书" in page  # route; the new event
    assert reverse("web:portal-confirm", kwargs={"pk": case.pk}) not in page  # nothing to sign
    assert CaseEvent.objects.filter(case=case, action="applied").count() == 1
    assert Commitment.objects.get(case=case).signatory_name == "张三"
    # The card is the one the case page shows (a refresh) rendered anew from the stored row (the
    # cache emptied: the workflow's re-read of the case makes them one), and no flash message
    # waits there.
    cache.clear()
    after = client.get(response["HX-Push-Url"]).content.decode()
    assert _card(after) == _card(page) and 'class="messages"' not in after


def test_without_javascript_the_confirmation_still_redirects_with_a_message(
        client, world, commitment_text):
    response = _confirm(client, world.own_case, htmx=False)
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "已确认并签署承诺书，请等待部门联审。" in page and "已确认，正在办理" in page


@pytest.mark.parametrize("changes, said", [
    ({"agree": ""}, "这个字段是必填项"),
    ({"signatory_name": ""}, "这个字段是必填项"),
    ({"amount_fen": "1"}, "请重新确认"),                  # a re-screen since the page was shown
    ({"version": "99"}, "已被他人处理"),                   # a change since the page was shown
])
def test_a_refused_confirmation_shows_the_letter_again_with_the_reason_in_place(
        client, world, commitment_text, changes, said):
    response = _confirm(client, world.own_case, **changes)
    page = response.content.decode()
    assert response.status_code == 200 and "HX-Push-Url" not in response
    assert page.lstrip().startswith('<article class="card" id="confirm">') and "<html" not in page
    assert said in page and commitment_text.title in page and 'hx-post="' in page
    assert Case.objects.get(pk=world.own_case.pk).state == State.AWAITING_APPLICATION
    assert not Commitment.objects.exists() and not CaseEvent.objects.filter(action="applied")


def test_a_letter_replaced_after_it_was_shown_is_shown_in_place_and_not_signed(
        client, world, commitment_text):
    case = world.own_case
    newer = CommitmentText.objects.create(version="2020-2", title="承诺书（修订）",
                                          text="本单位承诺：新增一条。", valid_from=date(2020, 4, 1))
    refused = _confirm(client, case, letter=commitment_text.sha256)  # the letter read before
    page = refused.content.decode()
    assert refused.status_code == 200 and "承诺书已在您阅读后更新" in page
    assert "本单位承诺：新增一条。" in page and f'value="{newer.sha256}"' in page
    assert not Commitment.objects.exists()
    signed = _confirm(client, case, letter=newer.sha256)  # the one read now
    assert signed["HX-Push-Url"] and Commitment.objects.get(case=case).text == newer


def test_a_second_tap_on_a_confirmed_case_says_so_and_signs_nothing_twice(
        client, world, commitment_text):
    case = world.own_case
    _confirm(client, case)
    again = _confirm(client, case)
    page = again.content.decode()
    assert again.status_code == 200 and "该事项当前无需确认。" in page
    assert '<li class="info">' in page and "已确认，正在办理" in page
    assert Commitment.objects.count() == 1


def test_an_htmx_confirmation_without_the_csrf_token_is_refused(world, commitment_text):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["enterprise"])
    response = _confirm(client, world.own_case)
    assert response.status_code == 403
    assert not Commitment.objects.exists()


def test_an_htmx_confirmation_of_another_units_case_is_not_found(world, commitment_text):
    client = Client()
    client.force_login(world.users["other_enterprise"])
    assert _confirm(client, world.own_case).status_code == 404
    assert not Commitment.objects.exists()
