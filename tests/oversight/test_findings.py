"""Auditors see only their sample, masked unless they record a reason; findings estimate the
improper-payment rate with a 95% interval."""

import json

import pytest

from wengang.accounts.models import Role, User
from wengang.cases.models import State
from wengang.oversight import findings, sampling
from wengang.oversight.errors import (
    FindingInvalid,
    NotAllowed,
    NotInSample,
    PlanInvalid,
    ReasonRequired,
)
from wengang.oversight.models import AuditRecord, Finding, Method, Outcome, SampleItem
from wengang.web.models import Disclosure

pytestmark = pytest.mark.django_db

CITY = "360100"


@pytest.fixture
def staff(db):
    def user(name, role):
        return User.objects.create_user(name, password=None, role=role, region_code=CITY)
    return {"supervisor": user("supervisor", Role.SUPERVISOR), "auditor2": user("auditor2", Role.AUDITOR)}


@pytest.fixture
def plans(people, staff, make_case):
    """Thirty paid cases of 1,000.00 yuan; a simple sample of 20 for ``auditor``, a stratified
    one of 5 for ``auditor2``."""
    for _ in range(30):
        make_case(State.PAID)
    common = {"actor": staff["supervisor"], "program": "inclusive-2020", "refund_year": 2020,
              "region_code": CITY, "seed": 9}
    return (sampling.plan_spot_check(auditor=people.auditor, method=Method.SIMPLE, size=20, **common),
            sampling.plan_spot_check(auditor=staff["auditor2"], method=Method.STRATIFIED, size=5,
                                     **common))


def test_an_auditor_sees_only_its_own_sample(people, staff, plans):
    mine, theirs = plans
    assert len(findings.sampled_cases(people.auditor, mine)) == 20
    assert findings.sampled_cases(people.auditor, theirs) == []
    other_item = theirs.items.first()
    with pytest.raises(NotInSample):
        findings.view_case(people.auditor, other_item.pk)
    assert SampleItem.objects.visible_to(staff["auditor2"]).count() == 5
    assert SampleItem.objects.visible_to(people.agency).count() == 25  # the region's staff
    assert SampleItem.objects.visible_to(people.other_agency).count() == 0


def test_personal_data_is_masked_until_a_reason_is_recorded(people, plans):
    item = plans[0].items.first()
    masked = findings.view_case(people.auditor, item.pk)
    assert (masked.account, masked.revealed) == ("****2222", False)
    assert "****" in masked.phone and masked.phone != item.case.unit.contact_phone
    assert not Disclosure.objects.exists()
    full = findings.view_case(people.auditor, item.pk, reason="核对收款账户", ip="10.1.1.1")
    assert (full.account, full.phone) == ("6222000011112222", item.case.unit.contact_phone)
    disclosure = Disclosure.objects.get()
    assert (disclosure.user, disclosure.case_id, disclosure.reason) == (people.auditor, item.case_id,
                                                                      "核对收款账户")
    record = AuditRecord.objects.get(action="pii.disclosed")
    assert (record.actor, record.target) == ("auditor", f"case:{item.case_id}")


def test_a_blank_reason_reveals_nothing(people, plans):
    with pytest.raises(ReasonRequired):
        findings.view_case(people.auditor, plans[0].items.first().pk, reason="   ")
    assert not Disclosure.objects.exists()


@pytest.mark.parametrize("outcome, amount, allowed", [
    (Outcome.IMPROPER, 0, False),
    (Outcome.IMPROPER, 1, True),
    (Outcome.IMPROPER, 100_000, True),      # the whole refund
    (Outcome.IMPROPER, 100_001, False),     # more than was paid
    (Outcome.CONFIRMED, 0, True),
    (Outcome.CONFIRMED, 1, False),
    ("doubtful", 0, False),
])
def test_a_finding_names_an_improper_amount_within_the_refund(people, plans, outcome, amount, allowed):
    item = plans[0].items.first()
    if allowed:
        finding = findings.record_finding(people.auditor, item.pk, outcome=outcome,
                                          improper_fen=amount, note="核查参保记录")
        assert (finding.outcome, finding.improper_fen) == (outcome, amount)
        record = AuditRecord.objects.get(action=f"spot_check.{outcome}")
        assert json.loads(record.details)["improper_fen"] == amount
    else:
        with pytest.raises(FindingInvalid):
            findings.record_finding(people.auditor, item.pk, outcome=outcome, improper_fen=amount,
                                    note="核查参保记录")
        assert not Finding.objects.exists()


def test_only_the_assigned_auditor_records_one_finding_per_case(people, staff, plans):
    item = plans[0].items.first()
    with pytest.raises(NotAllowed):
        findings.record_finding(people.agency, item.pk, outcome=Outcome.CONFIRMED, note="x")
    with pytest.raises(NotInSample):
        findings.record_finding(staff["auditor2"], item.pk, outcome=Outcome.CONFIRMED, note="x")
    with pytest.raises(ReasonRequired):
        findings.record_finding(people.auditor, item.pk, outcome=Outcome.CONFIRMED, note=" ")
    findings.record_finding(people.auditor, item.pk, outcome=Outcome.CONFIRMED, note="无误")
    with pytest.raises(FindingInvalid):
        findings.record_finding(people.auditor, item.pk, outcome=Outcome.IMPROPER,
                                improper_fen=5, note="改口")
    assert Finding.objects.get().outcome == Outcome.CONFIRMED


@pytest.mark.parametrize("successes, n, low, high", [
    (2, 20, 0.0279, 0.3010),   # Wilson (1927); e.g. Newcombe (1998), table I method 3
    (0, 20, 0.0000, 0.1611),
    (20, 20, 0.8389, 1.0000),
])
def test_the_wilson_interval_matches_published_values(successes, n, low, high):
    computed = findings.wilson_interval(successes, n)
    assert computed == pytest.approx((low, high), abs=1e-4)


def test_the_improper_rate_comes_from_the_checked_cases_of_a_simple_sample(people, plans):
    items = list(plans[0].items.order_by("draw"))
    for item in items[:2]:
        findings.record_finding(people.auditor, item.pk, outcome=Outcome.IMPROPER,
                                improper_fen=50_000, note="虚增参保人数")
    for item in items[2:]:
        findings.record_finding(people.auditor, item.pk, outcome=Outcome.CONFIRMED, note="无误")
    estimate = findings.improper_rate(plans[0])
    assert (estimate.checked, estimate.improper, estimate.rate) == (20, 2, 0.1)
    assert (estimate.low, estimate.high) == pytest.approx((0.0279, 0.3010), abs=1e-4)
    assert estimate.amount_rate == pytest.approx(100_000 / 2_000_000)


def test_a_weighted_or_stratified_sample_does_not_estimate_the_rate(plans):
    with pytest.raises(PlanInvalid):
        findings.improper_rate(plans[1])


def test_a_trainees_case_is_sampled_masked_and_revealed_only_with_a_reason(people, staff, run):
    """Spot checks cover skills-training subsidies paid to persons: the person is keyed by the
    blind index in the population, shown masked, in full with a recorded reason; checking
    employees (checked persons) is for units' cases only."""
    from tests.web.person_builder import make_person, make_person_case
    from wengang.oversight.persons import record_person

    trainees = [make_person(name="张三丰") for _ in range(3)]
    for person, _number in trainees:
        make_person_case(person, run, state=State.PAID)
    members = sampling.population(program="training-online-2020", refund_year=2020,
                                  region_code=CITY)
    assert sorted(m.key.split(":")[0] for m in members) == sorted(
        p.resident_id_digest for p, _n in trainees)
    plan = sampling.plan_spot_check(actor=staff["supervisor"], auditor=people.auditor,
                                    program="training-online-2020", refund_year=2020,
                                    region_code=CITY, method=Method.SIMPLE, size=2, seed=5)
    item = plan.items.order_by("draw").first()
    person = item.case.person
    number = {p.pk: n for p, n in trainees}[person.pk]
    masked = findings.view_case(people.auditor, item.pk)
    assert (masked.uscc, masked.unit_name, masked.phone) == (
        person.resident_id_masked, "张*丰", "139****0012")
    assert number not in json.dumps(masked.__dict__, ensure_ascii=False)
    full = findings.view_case(people.auditor, item.pk, reason="核对社保卡账户")
    assert (full.uscc, full.unit_name, full.phone) == (number, "张三丰", "13900390012")
    assert Disclosure.objects.get().case_id == item.case_id
    finding = findings.record_finding(people.auditor, item.pk, outcome=Outcome.CONFIRMED,
                                      note="培训记录属实")
    with pytest.raises(FindingInvalid):
        record_person(people.auditor, finding.pk, resident_id=number, name="张三丰",
                      employed=True)
