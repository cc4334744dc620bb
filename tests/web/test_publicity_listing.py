"""The public publicity list as its own table (``PublicityListing``), written when a batch opens:
its rows match the batch, a page is a fixed number of queries, and only running batches show."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from tests.web.conftest import CITY
from tests.web.person_builder import make_person, make_person_case
from wengang.cases import services
from wengang.cases.models import PublicityBatch, PublicityItem, PublicityListing, State
from wengang.cases.publicity import write_listing
from wengang.web.public import PAGE_SIZE

pytestmark = pytest.mark.django_db


def _listing(batch: PublicityBatch) -> list[tuple]:
    return list(PublicityListing.objects.filter(batch=batch).order_by("case_id")
                .values_list("case_id", "name", "code", "program", "amount_fen"))


def test_opening_a_batch_writes_one_row_per_published_case_as_published(world, make_case):
    approved = [make_case(State.APPROVED, region_code=CITY, amount_fen=100 * n) for n in (1, 2, 3)]
    batch = services.open_publicity(actor=world.users["agency"], region_code=CITY,
                                    program="inclusive-2020")
    published = sorted(PublicityItem.objects.filter(batch=batch).values_list("case_id", flat=True))
    assert published == sorted(case.pk for case in approved)
    assert _listing(batch) == [(case.pk, case.unit.name, case.unit.uscc, "inclusive-2020",
                                case.amount_fen) for case in sorted(approved, key=lambda c: c.pk)]


def test_writing_the_listing_again_adds_nothing(world):
    assert write_listing(world.publicity_batch) == 0
    assert len(_listing(world.publicity_batch)) == 1


def test_a_person_is_listed_by_masked_name_and_no_identity_number(world, run):
    person, number = make_person(name="张三丰")
    case = make_person_case(person, run, state=State.IN_PUBLICITY)
    PublicityItem.objects.create(batch=world.publicity_batch, case=case)
    assert write_listing(world.publicity_batch) == 1
    row = PublicityListing.objects.get(case=case)
    assert (row.name, row.code, row.amount_fen) == ("张*丰", "", case.amount_fen)
    page = Client().get(reverse("web:public-publicity")).content.decode()
    assert "张*丰" in page and "张三丰" not in page and number not in page


def _published(world, make_case, n: int) -> list:
    cases = [make_case(State.IN_PUBLICITY, route="automatic") for _ in range(n)]
    PublicityItem.objects.bulk_create(PublicityItem(batch=world.publicity_batch, case=c)
                                      for c in cases)
    write_listing(world.publicity_batch)
    return cases


@pytest.mark.parametrize(("rows", "pages"), [
    (PAGE_SIZE - 1, 1), (PAGE_SIZE, 1), (PAGE_SIZE + 1, 2),
])
def test_the_list_is_paged_by_page_size(world, make_case, rows, pages):
    _published(world, make_case, rows - 1)  # the world's published case is the first row
    response = Client().get(reverse("web:public-publicity"))
    assert response.context["page"].paginator.num_pages == pages
    assert len(response.context["page"].object_list) == min(rows, PAGE_SIZE)


def test_the_last_page_shows_the_last_case_in_case_order(world, make_case):
    cases = _published(world, make_case, PAGE_SIZE)
    page = Client().get(reverse("web:public-publicity"), {"page": 2}).content.decode()
    assert cases[-1].unit.uscc in page and world.published_case.unit.uscc not in page


@pytest.mark.parametrize("rows", [1, PAGE_SIZE + 10])
def test_a_page_costs_the_same_queries_however_long_the_list(world, make_case, rows,
                                                             django_assert_num_queries):
    _published(world, make_case, rows - 1)
    client = Client()
    for query in ({}, {"q": "测试单位"}):
        # The page's rows with their batch (running batches are a subquery); the count, then
        # kept a minute.
        with django_assert_num_queries(2):
            assert client.get(reverse("web:public-publicity"), query).status_code == 200
        with django_assert_num_queries(1):
            assert client.get(reverse("web:public-publicity"), query).status_code == 200


@pytest.mark.parametrize(("status", "start_on", "end_on", "shown"), [
    (PublicityBatch.Status.OPEN, date(2020, 4, 30), date(2020, 5, 8), True),    # starts today
    (PublicityBatch.Status.OPEN, date(2020, 4, 22), date(2020, 4, 30), True),   # ends today
    (PublicityBatch.Status.OPEN, date(2020, 5, 6), date(2020, 5, 12), False),   # not started
    (PublicityBatch.Status.OPEN, date(2020, 4, 20), date(2020, 4, 29), False),  # ended yesterday
    (PublicityBatch.Status.CLOSED, date(2020, 4, 29), date(2020, 5, 8), False),
])
def test_only_batches_running_today_are_shown(world, status, start_on, end_on, shown):
    PublicityBatch.objects.filter(pk=world.publicity_batch.pk).update(
        status=status, start_on=start_on, end_on=end_on)
    page = Client().get(reverse("web:public-publicity")).content.decode()
    assert (world.published_case.unit.uscc in page) is shown
