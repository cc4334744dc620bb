"""The demo walks the training subsidies along (``walkthrough --persons``): one trainee from a
course completion to the money on their card, each step printed; the demo logins print the
trainee's resident ID for the person login."""

import shutil
from datetime import date

import pytest
from click.testing import CliRunner
from django.core.management import call_command

from wengang.cases.models import Case, State
from wengang.core.clock import clock
from wengang.demo import CitySpec, write_city
from wengang.demo.trainee import TRAINING_PROGRAM
from wengang.demo.training import TrainingSpec, write_training
from wengang.demo.walkthrough import walkthrough
from wengang.outreach.models import Channel, Notice, Topic
from wengang.payments.models import Payment
from wengang.screening import folder_source, screen
from wengang.screening.persons import screen_persons

from .test_walkthrough import commitment_text  # noqa: F401 — fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def results(tmp_path):
    feeds, training = tmp_path / "feeds", tmp_path / "feeds-training"
    write_city(CitySpec(units=2_000, seed=2020), feeds)  # as test_walkthrough
    shutil.copytree(feeds, training)  # as `make demo`: the trainees beside the city
    write_training(TrainingSpec(completions=400, certificates=20, seed=2020), training,
                   file_format="csv")
    with clock.frozen(date(2020, 4, 15)):
        run = screen(folder_source(feeds), programs=["inclusive-2020", "difficult-2020"],
                     as_of=date(2020, 4, 15), region_code="360100")
        run.write(tmp_path / "screening.csv")
        with screen_persons(folder_source(training), programs=[TRAINING_PROGRAM],
                            as_of=date(2020, 4, 15), region_code="360100") as persons:
            persons.write(tmp_path / "persons.csv")
    return tmp_path / "screening.csv", tmp_path / "persons.csv"


def test_one_trainee_is_walked_from_completion_to_paid(results, capsys):
    units, persons = results
    with clock.frozen(date(2020, 4, 15)):
        outcome = CliRunner().invoke(walkthrough, [str(units), "--persons", str(persons),
                                                   "--applications", "10"],
                                     catch_exceptions=False)
    assert outcome.exit_code == 0, outcome.output
    training = Case.objects.for_program(TRAINING_PROGRAM)
    trainee = (training.of_persons().exclude(account_sealed="").exclude(person__phone="")
               .order_by("pk").first())
    assert trainee is not None and trainee.person.name_masked in outcome.output
    for step in ("notified", "agency review", "publicity", "publicity over", "列入拨付批次",
                 "银行回单：已到账"):
        assert step in outcome.output, step
    assert trainee.person.resident_id() not in outcome.output  # masked in the walk
    # Every training case with a card account went to the bank and was paid or returned; a
    # trainee with no account on record stays payable until one is recorded.
    left = training.exclude(state__in=[State.PAID, State.PAYMENT_FAILED])
    assert set(left.values_list("state", "account_sealed")) <= {(State.PAYABLE, "")}
    assert training.filter(state=State.PAID).count() > left.count()
    trainee.refresh_from_db()
    payment = Payment.objects.get(case=trainee)
    assert trainee.state == State.PAID and payment.status == Payment.Status.PAID
    assert payment.amount_fen == trainee.amount_fen and payment.person_id == trainee.person_id
    # Told twice — eligible, then paid — in the inbox and by text, once each.
    told = sorted(Notice.objects.filter(case=trainee).values_list("topic", "channel"))
    assert told == [(Topic.PERSON_ELIGIBLE, Channel.INBOX), (Topic.PERSON_ELIGIBLE, Channel.OUTBOX),
                    (Topic.PERSON_PAID, Channel.INBOX), (Topic.PERSON_PAID, Channel.OUTBOX)]
    call_command("demo_logins")
    printed = capsys.readouterr().out
    assert "/me/login/" in printed and trainee.person.resident_id() in printed
