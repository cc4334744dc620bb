"""Spot-check samples: reproducible from the seed, stratified as planned, risk-weighted as
specified (each draw proportional to weight)."""

import random

import pytest

from wengang.accounts.models import Role, User
from wengang.cases.models import Case, State
from wengang.oversight import sampling
from wengang.oversight.errors import NotAllowed, PlanInvalid
from wengang.oversight.models import AuditRecord, Method, SamplePlan
from wengang.oversight.sampling import Member, allocate, draw

CITY = "360100"


def members(n: int, *, flagged: int = 0, strata: dict[str, int] | None = None) -> list[Member]:
    labels = [s for s, k in (strata or {"360102/small": n}).items() for _ in range(k)]
    return [Member(key=f"9136{i:014d}:inclusive-2020:2020", case_id=i, stratum=labels[i],
                   flagged=i < flagged) for i in range(n)]


@pytest.mark.parametrize("method", list(Method.values))
def test_the_same_seed_gives_the_same_sample_whatever_the_row_order(method):
    population = members(300, flagged=30, strata={"a/small": 150, "a/micro": 100, "b/small": 50})
    shuffled = population[:]
    random.Random(1).shuffle(shuffled)
    first = draw(population, method=method, n=25, seed=2020, risk_weight=3)
    assert draw(shuffled, method=method, n=25, seed=2020, risk_weight=3) == first
    assert len({m.case_id for m in first}) == 25
    assert draw(population, method=method, n=25, seed=2021, risk_weight=3) != first


def test_a_simple_sample_is_the_smallest_numbers_of_the_seed():
    population = members(50)
    expected = sorted(population, key=lambda m: sampling.uniform(7, m.key))[:5]
    assert draw(population, method=Method.SIMPLE, n=5, seed=7) == expected


@pytest.mark.parametrize("sizes, n, shares", [
    ({"a": 50, "b": 30, "c": 20}, 10, {"a": 5, "b": 3, "c": 2}),
    ({"a": 50, "b": 30, "c": 20}, 100, {"a": 50, "b": 30, "c": 20}),
    ({"a": 1, "b": 1, "c": 1}, 2, {"a": 1, "b": 1}),             # tie: by stratum name
    ({"a": 7, "b": 2, "c": 1}, 3, {"a": 2, "b": 1}),             # 2.1, 0.6, 0.3 → 2, 1, 0
    ({"a": 7, "b": 2, "c": 1}, 1, {"a": 1}),
])
def test_places_are_shared_in_proportion_to_stratum_size(sizes, n, shares):
    assert allocate(sizes, n) == shares
    assert sum(allocate(sizes, n).values()) == n


def test_a_stratified_sample_has_the_planned_size_in_each_stratum():
    strata = {"360102/small": 120, "360102/micro": 60, "360111/small": 20}
    sample = draw(members(200, strata=strata), method=Method.STRATIFIED, n=20, seed=5)
    counts = {s: sum(1 for m in sample if m.stratum == s) for s in strata}
    assert counts == allocate(strata, 20) == {"360102/small": 12, "360102/micro": 6,
                                              "360111/small": 2}


@pytest.mark.parametrize("weight, expected", [(1, 0.2), (4, 0.5), (16, 0.8)])
def test_each_draw_picks_a_flagged_case_in_proportion_to_its_weight(weight, expected):
    """20 flagged of 100: the first draw is flagged with probability 20w / (20w + 80).

    4,000 fixed seeds: the count is binomial, so it lies within 4 standard deviations of
    4,000 × p (a wrong weighting — none, or squared — falls far outside)."""
    population = members(100, flagged=20)
    hits = sum(draw(population, method=Method.RISK_WEIGHTED, n=1, seed=s,
                    risk_weight=weight)[0].flagged for s in range(4000))
    sd = (4000 * expected * (1 - expected)) ** 0.5
    assert abs(hits - 4000 * expected) < 4 * sd


def test_risk_weighting_raises_the_flagged_share_of_a_larger_sample():
    population = members(1000, flagged=100)
    share = {w: sum(m.flagged for m in draw(population, method=Method.RISK_WEIGHTED, n=100,
                                            seed=11, risk_weight=w)) for w in (1, 5)}
    assert share[1] < 20  # the population's 10%, give or take
    assert share[5] > 30  # 5 × 10% ÷ (5 × 10% + 90%) ≈ 36% at the first draw


# --- plans in the database -----------------------------------------------------------------

@pytest.fixture
def supervisor(db) -> User:
    return User.objects.create_user("supervisor", password=None, role=Role.SUPERVISOR,
                                    region_code=CITY)


@pytest.fixture
def population(make_case):
    cases = [make_case(State.PAID, size="small" if i % 3 else "micro",
                       region_code="360102" if i % 2 else "360111") for i in range(30)]
    Case.objects.filter(pk__in=[c.pk for c in cases[:5]]).update(risk="shared_phone")
    make_case(State.SCREENED)  # not approved: outside the default population
    make_case(State.PAID, region_code="360200")  # another city
    return cases


def plan(supervisor, people, **options) -> SamplePlan:
    values = {"actor": supervisor, "auditor": people.auditor, "program": "inclusive-2020",
              "refund_year": 2020, "region_code": CITY, "method": Method.SIMPLE, "size": 6,
              "seed": 42}
    return sampling.plan_spot_check(**{**values, **options})


@pytest.mark.django_db
@pytest.mark.parametrize("method", list(Method.values))
def test_a_plan_records_its_seed_and_population_and_can_be_drawn_again(supervisor, people,
                                                                     population, method):
    made = plan(supervisor, people, method=method, risk_weight=3)
    assert (made.population, made.seed, made.items.count()) == (30, 42, 6)
    assert made.population_sha256 == sampling.fingerprint(sampling.population(
        program="inclusive-2020", refund_year=2020, region_code=CITY))
    assert sampling.reproduce(made) == sampling.Reproduction(True, True)
    record = AuditRecord.objects.get(action="spot_check.planned")
    assert record.target == f"sample_plan:{made.pk}" and '"seed":42' in record.details


@pytest.mark.django_db
def test_a_stratified_plan_records_its_allocation_and_keeps_to_it(supervisor, people, population):
    made = plan(supervisor, people, method=Method.STRATIFIED, size=10)
    counts = {}
    for stratum in made.items.values_list("stratum", flat=True):
        counts[stratum] = counts.get(stratum, 0) + 1
    assert counts == made.allocation
    assert sum(made.allocation.values()) == 10


@pytest.mark.django_db
def test_a_plan_without_a_seed_gets_one_recorded(supervisor, people, population):
    made = plan(supervisor, people, seed=None)
    assert made.seed >= 0 and sampling.reproduce(made).same_sample


@pytest.mark.django_db
@pytest.mark.parametrize("size, allowed", [(0, False), (1, True), (30, True), (31, False)])
def test_the_sample_size_lies_within_the_population(supervisor, people, population, size, allowed):
    if allowed:
        assert plan(supervisor, people, size=size).items.count() == size
    else:
        with pytest.raises(PlanInvalid):
            plan(supervisor, people, size=size)
        assert not SamplePlan.objects.exists()


@pytest.mark.django_db
def test_only_planners_of_the_region_plan_and_only_auditors_are_assigned(supervisor, people,
                                                                       population):
    with pytest.raises(NotAllowed):
        plan(people.auditor, people)
    with pytest.raises(NotAllowed):
        plan(people.other_agency, people)
    with pytest.raises(NotAllowed):
        plan(supervisor, people, auditor=people.agency)
    with pytest.raises(PlanInvalid):
        plan(supervisor, people, method="systematic")
    with pytest.raises(PlanInvalid):
        plan(supervisor, people, method=Method.RISK_WEIGHTED, risk_weight=0)
    assert not SamplePlan.objects.exists() and not AuditRecord.objects.exists()


@pytest.mark.django_db
def test_a_changed_population_shows_in_the_reproduction(supervisor, people, population):
    made = plan(supervisor, people)
    Case.objects.filter(pk=population[10].pk).update(risk="headcount_jump_q4")  # newly flagged
    assert sampling.reproduce(made).same_population is False
