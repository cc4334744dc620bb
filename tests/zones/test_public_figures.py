"""The public figures page on the internet instance: the intranet counts (a statistics refresh),
the exchange carries the page's summary tables outward once per refresh, and the internet shows
them as a single instance would; it never counts from its partial copy itself."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from wengang.core.clock import clock
from wengang.stats import kpis
from wengang.stats.errors import StatsError
from wengang.stats.models import SUMMARY_MODELS, CaseCount, PaymentCount, Rollup
from wengang.stats.refresh import refresh
from wengang.zones.envelope import OUTWARD, decode
from wengang.zones.keys import direction_keys
from wengang.zones.transfer import export, import_

from .conftest import deliver
from .world import CITY

pytestmark = pytest.mark.django_db


def _figures_sent(spool) -> list[dict]:
    key = direction_keys()[OUTWARD]
    messages = [decode(path.read_bytes(), key, direction=OUTWARD)
                for path in sorted((spool / "out").glob("outward-*.json"))]
    return [m.payload for m in messages if m.kind == "public_figures"]


def _public_page() -> tuple[object, str]:
    """The headline, and the page's figures (its heading to its table: not the CSRF token)."""
    page = Client().get(reverse("stats:public")).content.decode()
    return kpis.headline(CITY), page[page.index("<h1>"):page.index("</section>")]


def _as_the_internet(settings) -> None:
    """The same database as the internet's own: no figures until the exchange brings them."""
    for model in SUMMARY_MODELS:
        model.objects.all().delete()
    Rollup.objects.all().delete()
    settings.WENGANG_ZONE = "internet"


def test_each_refresh_sends_the_public_figures_once_and_the_internet_shows_them(
        intranet, world, settings):
    assert _figures_sent(intranet) == [] and export().collected["public_figures"] == 0
    refresh()
    headline, page = _public_page()
    regions = kpis.breakdown(CITY, "region")
    assert headline.eligible == 2 and headline.eligible_fen == 2_000_000
    assert export().collected["public_figures"] == 1
    assert export().collected["public_figures"] == 0  # nothing new: nothing sent
    (sent,) = _figures_sent(intranet)
    assert set(sent["tables"]) == {"casecount", "paymentcount"}  # the page's tables, no other
    assert "南昌测试机械有限公司" not in str(sent) and "uscc" not in str(sent)

    _as_the_internet(settings)
    assert kpis.headline(CITY).eligible == 0
    deliver(intranet, OUTWARD, 1, "public_figures", sent)
    assert import_().applied == [1]

    assert (kpis.headline(CITY), kpis.breakdown(CITY, "region")) == (headline, regions)
    assert _public_page()[1] == page  # the page as the intranet's own data gave it
    assert "统计截至 2020-04-30" in page


def test_a_refresh_later_sends_them_again(intranet, world):
    refresh()
    export()
    with clock.frozen(clock.now() + timedelta(days=1)):
        refresh()
        assert export().collected["public_figures"] == 1
    first, second = _figures_sent(intranet)
    assert second["computed_at"] > first["computed_at"] and second["as_of"] == "2020-05-01"


def test_older_figures_never_replace_newer_ones(intranet, world, settings):
    refresh()
    export()
    with clock.frozen(clock.now() + timedelta(days=1)):
        refresh()
        export()
    older, newer = _figures_sent(intranet)
    _as_the_internet(settings)
    deliver(intranet, OUTWARD, 1, "public_figures", newer)
    deliver(intranet, OUTWARD, 2, "public_figures", older)
    summary = import_()
    assert summary.applied == [1, 2] and summary.refused == []
    assert Rollup.objects.get().as_of.isoformat() == "2020-05-01"


def test_a_message_missing_a_table_is_refused_and_changes_nothing(intranet, world, settings):
    refresh()
    export()
    (sent,) = _figures_sent(intranet)
    _as_the_internet(settings)
    del sent["tables"]["paymentcount"]
    deliver(intranet, OUTWARD, 1, "public_figures", sent)
    summary = import_()
    assert summary.applied == [] and "paymentcount" in summary.refused[0][1]
    assert not CaseCount.objects.exists() and not PaymentCount.objects.exists()
    assert not Rollup.objects.exists()


def test_the_internet_instance_counts_nothing_itself(internet, world):
    with pytest.raises(StatsError) as refused:
        refresh()
    assert refused.value.code == "stats_internet" and "内网" in refused.value.zh
    assert not Rollup.objects.exists()
