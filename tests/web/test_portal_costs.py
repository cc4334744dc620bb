"""What the busiest pages cost (issue 10, load targets), pinned: the statements each portal page
runs, however many cases the unit has, and the rendered cards kept per version of the case —
never shown stale after a confirmation or any other change."""

import pytest
from django.test import Client
from django.urls import reverse

from wengang.cases import services
from wengang.cases.models import Case

pytestmark = pytest.mark.django_db

# Every page of a logged-in enterprise: the session read and (idle timeout) its renewal in a
# savepoint, the user. Tests keep sessions in the database; production in Redis (no SQL).
SESSION_AND_USER = 1 + 1 + 3  # session; user; SAVEPOINT, UPDATE session, RELEASE


@pytest.fixture
def client(world) -> Client:
    client = Client()
    client.force_login(world.users["enterprise"])
    return client


def _more_cases(case: Case, *programs: str) -> list[Case]:
    """Other cases of the same unit (one per program), as screening opens them."""
    fields = {f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields
              if not f.primary_key}
    return [Case.objects.create(**{**fields, "program": program}) for program in programs]


def _home(client) -> str:
    return client.get(reverse("web:portal-home")).content.decode()


def _main(page: str) -> str:
    """The page's content, without the header (whose CSRF token is masked anew each time)."""
    return page.split("<main>", 1)[1]


@pytest.mark.parametrize("extra", [(), ("difficult-2020", "inclusive-2019")])
def test_the_status_page_reads_all_timelines_in_one_query_then_none(
        client, world, extra, django_assert_num_queries):
    cases = [world.own_case, *_more_cases(world.own_case, *extra)]
    with django_assert_num_queries(SESSION_AND_USER + 2):  # the unit's cases; their events
        first = _home(client)
    with django_assert_num_queries(SESSION_AND_USER + 1):  # the cards come from the cache
        again = _home(client)
    assert _main(again) == _main(first)
    assert all(f'id="case-{case.pk}"' in again for case in cases)


def test_the_case_page_reads_its_events_once_then_not_at_all(client, world,
                                                             django_assert_num_queries):
    url = reverse("web:portal-case", kwargs={"pk": world.own_case.pk})
    with django_assert_num_queries(SESSION_AND_USER + 2):  # the case with its unit; events
        first = client.get(url).content.decode()
    with django_assert_num_queries(SESSION_AND_USER + 1):
        assert _main(client.get(url).content.decode()) == _main(first)


def test_the_letter_page_costs_three_statements_after_the_session(client, world, commitment_text,
                                                                  django_assert_num_queries):
    url = reverse("web:portal-confirm", kwargs={"pk": world.own_case.pk})
    with django_assert_num_queries(SESSION_AND_USER + 2):  # the case with its unit; the letter
        assert client.get(url).status_code == 200


def _confirm(client, case):
    return client.post(reverse("web:portal-confirm", kwargs={"pk": case.pk}), {
        "insured": "25", "signatory_name": "张三", "agree": "on",
        "amount_fen": case.amount_fen, "version": case.version})


def test_the_status_page_after_a_confirmation_shows_it_at_once(client, world, commitment_text):
    case = world.own_case
    case_url = reverse("web:portal-case", kwargs={"pk": case.pk})
    confirm_url = reverse("web:portal-confirm", kwargs={"pk": case.pk})
    assert confirm_url in _home(client) and confirm_url in client.get(case_url).content.decode()
    assert _confirm(client, case).status_code == 302
    home, page = _home(client), client.get(case_url).content.decode()
    for text in (home, page):
        assert confirm_url not in text and "已确认，正在办理" in text
    assert "确认信息并签署承诺书" in page  # the new event in the case's record


def test_a_change_made_by_an_officer_shows_on_the_next_status_page(client, world):
    case = world.own_case
    assert "请确认信息并签署承诺书" in _home(client)
    services.withdraw(case, actor=world.users["agency"], reason="单位注销")
    home = _home(client)
    assert "请确认信息并签署承诺书" not in home and "已撤销" in home


def test_a_card_rendered_in_chinese_is_not_shown_in_english(client, world):
    assert "为什么" in _home(client)
    client.cookies["django_language"] = "en"
    text = _home(client)
    assert "Why" in text and "为什么" not in text


def _confirm_htmx(client, case, letter):
    return client.post(reverse("web:portal-confirm", kwargs={"pk": case.pk}), {
        "insured": case.insured, "signatory_name": "张三", "agree": "on",
        "amount_fen": case.amount_fen, "version": case.version, "letter": letter.sha256},
        HTTP_HX_REQUEST="true")


def test_the_one_tap_confirmation_costs_fourteen_statements_after_the_session(
        client, world, commitment_text, django_assert_num_queries):
    """The case with its unit; the letter; in the workflow's transaction (a savepoint here:
    the test runs in one) the case locked, the commitment, the case moved, its event, the case
    read back; then the card's events — read without who did them, which the card does not
    show."""
    case = world.own_case
    with django_assert_num_queries(SESSION_AND_USER + 2 + 7 + 1) as statements:
        response = _confirm_htmx(client, case, commitment_text)
    assert response.status_code == 200 and response["HX-Push-Url"]
    events = statements.captured_queries[-4]["sql"]  # then the session, as on every page
    assert "cases_caseevent" in events and "accounts_user" not in events
    assert Case.objects.get(pk=case.pk).state == "applied"
