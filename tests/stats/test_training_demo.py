"""The demo (``make demo``) walks a trainee to the money and refreshes the statistics at its end:
the training page shows the subsidies it paid, the refund overview none of them."""

from datetime import date

import pytest
from click.testing import CliRunner
from django.test import Client
from django.urls import reverse

from tests.demo.test_walkthrough import commitment_text  # noqa: F401 — fixture
from tests.demo.test_walkthrough_trainee import results  # noqa: F401 — fixture
from wengang.accounts.models import Role, User
from wengang.cases.models import Case, State
from wengang.core.clock import clock
from wengang.core.money import fen_to_yuan
from wengang.demo.trainee import TRAINING_PROGRAM
from wengang.demo.walkthrough import walkthrough
from wengang.payments.models import Payment
from wengang.stats import kpis, training_figures

pytestmark = pytest.mark.django_db


def test_the_demo_trainee_is_counted_on_the_training_page(results):  # noqa: F811
    units, persons = results
    with clock.frozen(date(2020, 4, 15)):
        outcome = CliRunner().invoke(walkthrough, [str(units), "--persons", str(persons),
                                                   "--applications", "10"],
                                     catch_exceptions=False)
    assert outcome.exit_code == 0, outcome.output
    paid = Payment.objects.filter(case__program=TRAINING_PROGRAM, status=Payment.Status.PAID)
    cases = Case.objects.for_program(TRAINING_PROGRAM)
    assert paid.exists()
    figures = training_figures.headline("360100")
    assert figures.paid == paid.count() == cases.filter(state=State.PAID).count()
    assert figures.paid_fen == sum(paid.values_list("gross_fen", flat=True))
    assert figures.eligible == cases.filter(eligible=True).count()
    program = {row.key: row for row in training_figures.breakdown("360100", "program")}
    assert program[TRAINING_PROGRAM].paid == figures.paid
    # The refund figures count refund payments only.
    refunds = Payment.objects.exclude(case__program=TRAINING_PROGRAM).filter(
        status=Payment.Status.PAID).count()
    assert kpis.headline("360100").paid == refunds
    officer = User.objects.create_user("demo-stats", password=None, role=Role.SUPERVISOR,
                                       region_code="360100")
    client = Client()
    client.force_login(officer)
    html = client.get(reverse("stats:training")).content.decode()
    assert f'<span class="n">{figures.persons_paid}</span>' in html
    assert f"¥{fen_to_yuan(figures.paid_fen, grouping=True)}" in html
    assert figures.persons_paid > 0
