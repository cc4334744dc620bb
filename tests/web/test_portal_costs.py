"""What the busiest pages cost (issue 10, load targets), pinned: the statements each portal page
runs, however many cases the unit has, and the rendered cards kept per version of the case —
never shown stale after a confirmation or any other change."""

from datetime import date

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import reverse

from wengang.cases import services
from wengang.cases.models import Case, CommitmentText
from wengang.web.display import commitment_text_for

pytestmark = pytest.mark.django_db

# Every page of a logged-in enterprise: the session read and (idle timeout) its renewal in a
# savepoint, the user. Tests keep sessions in the database; production in Redis (no SQL).
SESSION = 1 + 3  # session; SAVEPOINT, UPDATE session, RELEASE
SESSION_AND_USER = SESSION + 1  # the user, until a committed read of it is kept (on commit)


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


def test_the_letter_page_reads_the_letter_once_then_from_the_cache(
        client, world, commitment_text, django_assert_num_queries,
        django_capture_on_commit_callbacks):
    url = reverse("web:portal-confirm", kwargs={"pk": world.own_case.pk})
    with (django_assert_num_queries(SESSION_AND_USER + 2),  # the case with its unit; the letter
          django_capture_on_commit_callbacks(execute=True)):  # as the request's autocommit does
        first = client.get(url).content.decode()
    with django_assert_num_queries(SESSION + 1):  # the user kept too; the case
        again = client.get(url).content.decode()
    assert f'value="{commitment_text.sha256}"' in again and commitment_text.title in again
    assert _main(again).split('name="csrfmiddlewaretoken"')[0] == (
        _main(first).split('name="csrfmiddlewaretoken"')[0])


@pytest.fixture
def letter_page(client, django_capture_on_commit_callbacks):
    """The letter page, its letter kept in the cache as it is outside a test's transaction."""
    def read(case) -> str:
        with django_capture_on_commit_callbacks(execute=True):
            return client.get(reverse("web:portal-confirm", kwargs={"pk": case.pk})).content.decode()
    return read


def test_a_new_letter_is_shown_and_signed_at_once_though_the_old_one_was_cached(
        client, world, commitment_text, letter_page):
    case = world.own_case
    assert commitment_text.sha256 in letter_page(case)  # now in the cache
    newer = CommitmentText.objects.create(version="2020-2", title="承诺书（修订）",
                                          text="本单位承诺：新增一条。", valid_from=date(2020, 4, 1))
    page = letter_page(case)
    assert newer.text in page and f'value="{newer.sha256}"' in page
    refused = _confirm_htmx(client, case, commitment_text)  # the letter read before: refused
    assert "承诺书已在您阅读后更新" in refused.content.decode()
    assert _confirm_htmx(client, case, newer).status_code == 200
    assert case.commitments.get().text == newer


def test_a_letter_edited_or_deleted_is_read_again_at_once(world, commitment_text, letter_page):
    case = world.own_case
    newer = CommitmentText.objects.create(version="2020-2", title="承诺书（修订）",
                                          text="本单位承诺：新增一条。", valid_from=date(2020, 4, 1))
    assert newer.text in letter_page(case)
    newer.text = "本单位承诺：改过的一条。"
    newer.save()  # before anyone accepted it (an accepted text is never edited)
    assert "改过的一条" in letter_page(case)
    newer.delete()
    page = letter_page(case)
    assert commitment_text.sha256 in page and "改过的一条" not in page


def test_a_letter_cached_by_another_worker_before_the_change_committed_is_not_served(
        world, commitment_text, django_capture_on_commit_callbacks):
    """Between the change and its commit another worker can read only the old letter, and
    caches it under the generation the change started: the commit starts another."""
    case = world.own_case
    with django_capture_on_commit_callbacks(execute=True):
        newer = CommitmentText.objects.create(version="2020-2", title="承诺书（修订）",
                                              text="本单位承诺：新增一条。",
                                              valid_from=date(2020, 4, 1))
        key = f"letter-in-force:{case.program}:{date(2020, 5, 1).isoformat()}"
        cache.set(key, (cache.get("letters-generation"), commitment_text))  # the other worker
    assert commitment_text_for(case, date(2020, 5, 1)) == newer


def test_a_letter_read_in_a_transaction_rolled_back_is_not_kept(world, commitment_text):
    """Rolling back fires no signal: what the transaction read is kept only once committed."""
    case, day = world.own_case, date(2020, 5, 1)
    with pytest.raises(RuntimeError), transaction.atomic():
        CommitmentText.objects.create(version="2020-2", title="承诺书（撤回）", text="未生效。",
                                      valid_from=date(2020, 4, 1))
        assert commitment_text_for(case, day).version == "2020-2"
        raise RuntimeError("rolled back")
    assert commitment_text_for(case, day) == commitment_text


def _in_force(program: str, day: date) -> CommitmentText | None:
    """The letter in force as the portal has always read it, without the cache."""
    return (CommitmentText.objects.filter(valid_from__lte=day, program__in=["", program])
            .order_by("-valid_from", "-id").first())


def test_the_cached_letter_is_the_letter_the_database_has_in_force(
        world, commitment_text, django_assert_num_queries, django_capture_on_commit_callbacks):
    case = world.own_case
    letters = {"all programs, later": ("", date(2020, 4, 1)),
               "this program": (case.program, date(2020, 3, 1)),
               "another program, later still": ("difficult-2020", date(2020, 5, 1)),
               "this program, next year": (case.program, date(2021, 1, 1))}
    for version, (program, valid_from) in letters.items():
        CommitmentText.objects.create(version=version[:32], title=version, text=version,
                                      program=program, valid_from=valid_from)
    for program in (case.program, "difficult-2020", "inclusive-2019"):
        case.program = program
        for day in (date(2019, 12, 31), date(2020, 1, 1), date(2020, 3, 15), date(2020, 4, 1),
                    date(2020, 6, 1), date(2021, 6, 1)):
            with django_capture_on_commit_callbacks(execute=True):
                read = commitment_text_for(case, day)
            with django_assert_num_queries(0):
                cached = commitment_text_for(case, day)
            assert read == cached == _in_force(program, day), (program, day)
            assert cached is None or cached.sha256 == _in_force(program, day).sha256


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


@pytest.mark.parametrize("insured", [25, 0, 1234567])
def test_the_letter_pages_inputs_are_the_ones_the_form_widgets_render(
        client, world, commitment_text, insured):
    """The letter page writes its form's inputs out (no widget templates): byte for byte what
    Django's widgets render for the same form, so a change to the form shows here."""
    from django.template.loader import render_to_string

    from wengang.web.forms import ConfirmForm

    case = world.own_case
    Case.objects.filter(pk=case.pk).update(insured=insured)
    page = client.get(reverse("web:portal-confirm", kwargs={"pk": case.pk})).content.decode()
    form = ConfirmForm(initial={"amount_fen": case.amount_fen, "version": case.version,
                                "insured": insured, "letter": commitment_text.sha256})
    for name in ("insured", "signatory_name"):
        assert render_to_string("web/field.html", {"field": form[name]}) in page
    assert f'<label class="check">{form["agree"]} {form["agree"].label}</label>' in page
    assert f'value="{insured}"' in page
