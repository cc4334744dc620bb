"""Every key figure of the hand-built scenario (conftest.py) equals the value worked out by hand."""

from datetime import date
from decimal import Decimal

import pytest

from wengang.core.clock import clock
from wengang.stats import kpis
from wengang.stats.refresh import refresh

from .conftest import CHANGJIANG, DONGHU, JIANGXI, JINGDEZHEN, NANCHANG, QINGSHANHU

pytestmark = pytest.mark.django_db


@pytest.fixture
def counted(scenario):
    refresh()
    return scenario


def test_the_city_headline_equals_the_hand_count(counted):
    figures = kpis.headline(NANCHANG)
    # Eligible: A B C D E G (F was not); paid: A B C G (E's payment failed, D not yet paid).
    assert (figures.eligible, figures.paid) == (6, 4)
    assert figures.paid_fen == 100_000 + 50_000 + 1_000_000 + 300_000 == 1_450_000
    assert figures.net_fen == 1_450_000
    assert figures.insured == 10 + 4 + 120 + 20 == 154
    assert figures.average_fen == 362_500
    assert figures.insured_per_unit == Decimal("38.5")
    assert figures.beneficiary_rate == Decimal("0.6667")  # 4 ÷ 6
    assert figures.eligible_fen == 1_680_000               # A B C D E G amounts
    assert (figures.reached, figures.reach_rate) == (3, Decimal("0.5000"))  # A, B (inbox), E


def test_the_province_is_the_sum_of_its_cities(counted):
    province, jingdezhen = (kpis.headline(code) for code in (JIANGXI, JINGDEZHEN))
    assert (jingdezhen.eligible, jingdezhen.paid, jingdezhen.paid_fen, jingdezhen.insured) == (
        1, 1, 400_000, 50)
    assert (province.eligible, province.paid, province.paid_fen, province.insured) == (
        7, 5, 1_850_000, 204)
    assert kpis.headline(None) == province  # the nation holds only Jiangxi here
    assert kpis.headline(DONGHU).paid == 3 and kpis.headline(QINGSHANHU).paid == 1


def _table(rows):
    return {row.key: (row.eligible, row.paid, row.paid_fen) for row in rows}


@pytest.mark.parametrize(("scope", "by", "expected"), [
    (NANCHANG, "program", {"difficult-2020": (1, 1, 300_000),
                           "inclusive-2020": (5, 3, 1_150_000)}),
    (NANCHANG, "region", {DONGHU: (4, 3, 450_000), QINGSHANHU: (2, 1, 1_000_000)}),
    (JIANGXI, "region", {NANCHANG: (6, 4, 1_450_000), JINGDEZHEN: (1, 1, 400_000)}),
    (None, "region", {JIANGXI: (7, 5, 1_850_000)}),
    (NANCHANG, "size", {"small": (4, 2, 400_000), "micro": (1, 1, 50_000),
                        "medium": (1, 1, 1_000_000), "large": (0, 0, 0)}),
    (NANCHANG, "industry", {"C 制造业": (4, 3, 1_400_000), "F 批发和零售业": (1, 1, 50_000),
                            "K 房地产业": (1, 0, 0)}),
    (NANCHANG, "week", {"2020-05-04": (0, 2, 400_000), "2020-05-11": (0, 2, 1_050_000)}),
    (JIANGXI, "month", {"2020-05": (0, 5, 1_850_000)}),
])
def test_each_breakdown_equals_the_hand_count(counted, scope, by, expected):
    assert _table(kpis.breakdown(scope, by)) == expected


def test_region_bars_are_named(counted):
    assert [row.label for row in kpis.breakdown(JIANGXI, "region")] == ["南昌市", "景德镇市"]


def test_time_to_money_median_p90_and_step_shares(counted):
    ttm = kpis.time_to_money(NANCHANG)
    # Days screening → paid: A 21, G 21, B 26, C 27 (A paid at 00:30 on 6 May China time).
    assert ttm.payments == 4
    assert ttm.histogram == [(21, 2), (26, 1), (27, 1)]
    assert ttm.median_days == Decimal("23.5")
    assert ttm.p90_days == 27
    assert ttm.mean_days == Decimal("23.8")  # 95 ÷ 4 = 23.75, half-up
    assert ttm.step_days == (5 + 7 + 9 + 2, 10 + 14 + 14 + 10, 6 + 5 + 4 + 9)
    assert ttm.step_shares == [Decimal("0.2421"), Decimal("0.5053"), Decimal("0.2526")]
    assert kpis.time_to_money(NANCHANG, program="difficult-2020").median_days == 21
    odd = kpis.time_to_money(JIANGXI)  # adds H (35 days): 21 21 26 27 35
    assert (odd.median_days, odd.p90_days) == (26, 35)


def test_p90_is_the_nearest_rank(counted):
    # Ten payments: 1..10 days; the 9th of ten is the 90th percentile.
    histogram = [(day, 1) for day in range(1, 11)]
    assert kpis._percentile_rank(histogram, 9) == 9
    assert kpis._percentile_rank(histogram, 10) == 10


def _compliance(scope=NANCHANG):
    return {row.department: (row.on_time, row.late, row.pending, row.overdue, row.rate)
            for row in kpis.review_compliance(scope)}


@pytest.mark.parametrize(("day", "expected"), [
    # Batch 1 is due 05-15: on its deadline day finance's pending task is still in time.
    ("2020-05-15", {"finance": (0, 0, 1, 0, None), "market": (0, 1, 1, 0, Decimal(0)),
                    "tax": (1, 0, 1, 0, Decimal(1))}),
    ("2020-05-16", {"finance": (0, 0, 0, 1, Decimal(0)), "market": (0, 1, 1, 0, Decimal(0)),
                    "tax": (1, 0, 1, 0, Decimal(1))}),
    # Batch 2 is due 05-20: the day before and the day itself, both pending tasks are in time …
    ("2020-05-19", {"finance": (0, 0, 0, 1, Decimal(0)), "market": (0, 1, 1, 0, Decimal(0)),
                    "tax": (1, 0, 1, 0, Decimal(1))}),
    ("2020-05-20", {"finance": (0, 0, 0, 1, Decimal(0)), "market": (0, 1, 1, 0, Decimal(0)),
                    "tax": (1, 0, 1, 0, Decimal(1))}),
    # … and overdue the day after.
    ("2020-05-21", {"finance": (0, 0, 0, 1, Decimal(0)), "market": (0, 1, 0, 1, Decimal(0)),
                    "tax": (1, 0, 0, 1, Decimal("0.5000"))}),
])
def test_review_deadline_compliance_per_department(scenario, day, expected):
    with clock.frozen(date.fromisoformat(day)):
        refresh()
    assert _compliance() == expected


def test_review_compliance_of_a_province_adds_its_cities(counted):
    tax = {row.department: row for row in kpis.review_compliance(JIANGXI)}["tax"]
    assert (tax.tasks, tax.on_time, tax.rate) == (3, 2, Decimal(1))
    assert [row.department for row in kpis.review_compliance(JINGDEZHEN)] == ["tax"]
    assert kpis.review_compliance(CHANGJIANG) == []  # batches belong to the city, not a county


def test_outreach_reach_by_channel(counted):
    reach = {row.channel: (row.notices, row.sent, row.delivered, row.failed, row.pending)
             for row in kpis.by_channel(NANCHANG)}
    assert reach == {"inbox": (1, 1, 1, 0, 0), "sms": (4, 2, 1, 1, 1)}


def test_receivables_open_and_recovered(counted):
    figures = kpis.receivables(NANCHANG)
    assert (figures.receivables, figures.amount_fen, figures.recovered_fen,
            figures.written_off_fen, figures.open, figures.outstanding_fen) == (
        2, 100_000, 25_000, 50_000, 1, 25_000)
    assert figures.recovery_rate == Decimal("0.2500")
    assert kpis.receivables(JINGDEZHEN).receivables == 0


def test_pipeline_counts_cases_by_state(counted):
    assert [(state, n) for state, _label, n, _fen in kpis.pipeline(NANCHANG)] == [
        ("payable", 1), ("paid", 4), ("payment_failed", 1), ("withdrawn", 1)]


def test_a_refresh_replaces_the_previous_numbers(counted):
    from wengang.stats.models import CaseCount

    rows = CaseCount.objects.count()
    refresh()
    assert CaseCount.objects.count() == rows
    assert kpis.headline(NANCHANG).paid == 4


def test_an_unknown_dimension_is_refused(counted):
    with pytest.raises(ValueError):
        kpis.breakdown(NANCHANG, "colour")


@pytest.mark.django_db(transaction=True)
def test_a_refresh_outside_any_transaction_counts_from_one_snapshot(scenario):
    # As the command and the worker run it: its own transaction (REPEATABLE READ and an
    # advisory lock on PostgreSQL), twice in a row without leaving rows behind.
    from wengang.stats.models import CaseCount

    refresh()
    rows = CaseCount.objects.count()
    rollup = refresh()
    assert CaseCount.objects.count() == rows
    assert (rollup.cases, kpis.headline(NANCHANG).paid) == (7 + 1, 4)
