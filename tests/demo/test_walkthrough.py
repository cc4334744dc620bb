"""The demo walkthrough on a small synthetic city: screening result to paid, every step."""

from datetime import date

import pytest
from click.testing import CliRunner
from django.db.models import Sum

from wengang.cases.models import Action, Case, CaseEvent, CommitmentText, State
from wengang.core.clock import clock
from wengang.demo import CitySpec, write_city
from wengang.demo.walkthrough import walkthrough
from wengang.outreach.models import Channel, Notice
from wengang.payments.models import Payment
from wengang.screening import folder_source, screen
from wengang.stats.models import PaymentCount

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def commitment_text():
    """The letter migration 0002 seeds; a transactional test elsewhere may have flushed it."""
    CommitmentText.objects.get_or_create(
        version="2020-1", defaults={"title": "失业保险稳岗返还承诺书", "text": "本单位郑重承诺……",
                                    "valid_from": date(2020, 1, 1)})


@pytest.fixture
def result(tmp_path):
    feeds = tmp_path / "feeds"
    write_city(CitySpec(units=2_000, seed=2020), feeds)
    with clock.frozen(date(2020, 4, 15)):
        run = screen(folder_source(feeds), programs=["inclusive-2020", "difficult-2020"],
                     as_of=date(2020, 4, 15), region_code="360100")
        run.write(tmp_path / "screening.csv")
    return tmp_path / "screening.csv"


def test_the_walkthrough_takes_the_city_to_paid_cases(result, settings):
    with clock.frozen(date(2020, 4, 15)):  # the walkthrough moves the clock; put it back after
        outcome = CliRunner().invoke(walkthrough, [str(result), "--applications", "40"],
                                     catch_exceptions=False)
        last_day = clock.today()
    assert outcome.exit_code == 0, outcome.output
    # Every payable case went to the bank: most were paid, the bank returned a few, and one
    # of those was paid again after its account change.
    assert not Case.objects.filter(state=State.PAYABLE).exists()
    paid = Case.objects.filter(state=State.PAID)
    assert paid.count() > 0
    assert Payment.objects.filter(status=Payment.Status.PAID).count() == paid.count()
    assert Payment.objects.filter(status=Payment.Status.FAILED).exists()
    assert "变更账户后重新拨付" in outcome.output
    # Every notified case was told once in its unit's inbox ("one call, one text").
    told = Notice.objects.filter(channel=Channel.INBOX,
                                 topic__in=("eligible_automatic", "eligible_application"))
    notified = CaseEvent.objects.filter(action=Action.NOTIFIED)
    assert told.count() == told.values("event").distinct().count() == notified.count() > 0
    # The web UI of the demo opens on the walkthrough's last day.
    assert (settings.DATA_DIR / "demo-today").read_text().strip() == last_day.isoformat()
    assert last_day > date(2020, 5, 11)
    applied = CaseEvent.objects.filter(action=Action.APPLIED)
    assert applied.count() == 40
    # Confirmations carry the headcount screening read, never a placeholder 0.
    assert all(e.data["insured"] == Case.objects.get(pk=e.case_id).insured for e in applied)
    # One applicant of undecided size confirms it is small: the SME ratio (100%) replaces
    # the large one (50%), so the amount doubles (within the one fen of rounding half-up).
    assert "确认为小型企业" in outcome.output
    (recomputed,) = [e for e in applied if e.amount_before_fen != e.amount_after_fen]
    assert abs(recomputed.amount_after_fen - 2 * recomputed.amount_before_fen) <= 1
    assert (recomputed.data["screened"]["size"], recomputed.data["size"]) == ("unknown", "small")
    assert CaseEvent.objects.filter(action=Action.REMINDED).exists()
    assert "reminders recorded" in outcome.output
    # The dashboards open on the walkthrough's figures: the summary tables count what it paid.
    assert "dashboards refreshed" in outcome.output
    counted = PaymentCount.objects.aggregate(n=Sum("payments"))["n"]
    assert counted == paid.count()
