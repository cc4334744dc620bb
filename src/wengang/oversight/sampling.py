"""Spot-check samples (抽查) that anyone can draw again from the seed and the population.

The population is every case of one program, refund year and region in the sampled states.
Each case gets a number from its natural key (``uscc:program:refund_year``) and the seed:

    u = (first 8 bytes of SHA-256("<seed>:<key>") + ½) / 2⁶⁴        a uniform number in (0, 1)

so the sample depends on the seed and on which cases are in the population, never on the order
a database returns rows in, nor on row ids. SHA-256 is public on purpose: a third party
reproduces the draw with any tool (a keyed hash would make that impossible).

- **simple**: the ``n`` cases with the smallest ``u`` — a uniformly random subset of size n.
- **stratified**: strata are region × size; the n places are shared in proportion to stratum
  size (largest remainder, ties by stratum name), then a simple sample in each stratum.
- **risk_weighted**: each draw takes a case not yet drawn with probability proportional to its
  weight (``risk_weight`` for a case with a risk flag, 1 otherwise): the ``n`` cases with the
  largest ``log(u) / weight`` (Efraimidis & Spirakis 2006, the same distribution).
"""

import hashlib
import math
import secrets
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction
from django.db.models.functions import Coalesce

from wengang.accounts.models import Role, User
from wengang.cases.models import APPROVED_STATES, Case, State
from wengang.core.clock import clock

from . import audit
from .errors import NotAllowed, PlanInvalid
from .models import Method, SampleItem, SamplePlan

DEFAULT_STATES = tuple(sorted(APPROVED_STATES | {State.IN_PAYMENT, State.PAID,
                                                 State.PAYMENT_FAILED}))
"""Cases approved and not closed: from publicity to paid (spot checks during and after)."""
PLANNER_ROLES = (Role.SUPERVISOR, Role.AGENCY)


@dataclass(frozen=True)
class Member:
    """One case of the population, as far as drawing it is concerned."""

    key: str
    case_id: int
    stratum: str
    flagged: bool


def uniform(seed: int, key: str) -> float:
    """The case's number in (0, 1), from the seed and its natural key alone."""
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    return (int.from_bytes(digest[:8], "big") + 0.5) / 2**64


def allocate(stratum_sizes: Mapping[str, int], n: int) -> dict[str, int]:
    """Share ``n`` places between strata in proportion to their sizes (largest remainder)."""
    total = sum(stratum_sizes.values())
    exact = {s: n * size / total for s, size in stratum_sizes.items()}
    shares = {s: math.floor(q) for s, q in exact.items()}
    by_remainder = sorted(exact, key=lambda s: (-(exact[s] - shares[s]), s))
    for stratum in by_remainder[:n - sum(shares.values())]:
        shares[stratum] += 1
    return {s: k for s, k in sorted(shares.items()) if k}


def draw(population: list[Member], *, method: str, n: int, seed: int,
         risk_weight: int = 1) -> list[Member]:
    """The sample, in draw order; deterministic given the arguments, whatever the list order."""
    if method == Method.SIMPLE:
        return sorted(population, key=lambda m: (uniform(seed, m.key), m.key))[:n]
    if method == Method.STRATIFIED:
        strata: dict[str, list[Member]] = defaultdict(list)
        for member in population:
            strata[member.stratum].append(member)
        shares = allocate({s: len(ms) for s, ms in strata.items()}, n)
        return [m for s, k in shares.items()
                for m in draw(strata[s], method=Method.SIMPLE, n=k, seed=seed)]
    if method == Method.RISK_WEIGHTED:
        def priority(m: Member) -> tuple[float, str]:
            return (-math.log(uniform(seed, m.key)) / (risk_weight if m.flagged else 1), m.key)
        return sorted(population, key=priority)[:n]
    raise PlanInvalid(f"抽样方法 {method!r} 不存在", f"unknown sampling method {method!r}")


def population(*, program: str, refund_year: int, region_code: str,
               states: tuple[str, ...] = DEFAULT_STATES) -> list[Member]:
    # A training subsidy's beneficiary may be a person: keyed by the blind index, never the ID.
    rows = (Case.objects.in_region(region_code)
            .filter(program=program, refund_year=refund_year, state__in=states)
            .values_list("pk", Coalesce("unit__uscc", "person__resident_id_digest"),
                         Coalesce("unit__region_code", "person__region_code"), "size", "risk"))
    return sorted((Member(key=f"{uscc}:{program}:{refund_year}", case_id=pk,
                          stratum=f"{region}/{size}", flagged=bool(risk))
                   for pk, uscc, region, size, risk in rows), key=lambda m: m.key)


def fingerprint(members: list[Member]) -> str:
    """SHA-256 of the population as drawn from: key, stratum and flag of each case, by key."""
    text = "".join(f"{m.key}\t{m.stratum}\t{int(m.flagged)}\n"
                   for m in sorted(members, key=lambda m: m.key))
    return hashlib.sha256(text.encode()).hexdigest()


def plan_spot_check(*, actor: User, auditor: User, program: str, refund_year: int,
                    region_code: str, method: str, size: int, seed: int | None = None,
                    risk_weight: int = 1, states: tuple[str, ...] = DEFAULT_STATES) -> SamplePlan:
    """Draw a sample, record it with its seed and population fingerprint, assign it."""
    if actor.role not in PLANNER_ROLES or not actor.is_active or not actor.covers_region(region_code):
        raise NotAllowed(f"{actor.get_username()} 不能为 {region_code} 制定抽查计划",
                         f"{actor.get_username()} may not plan spot checks for {region_code}")
    if auditor.role != Role.AUDITOR or not auditor.is_active:
        raise NotAllowed(f"{auditor.get_username()} 不是在用的审计账户",
                         f"{auditor.get_username()} is not an active auditor account")
    if method not in Method.values:
        raise PlanInvalid(f"抽样方法 {method!r} 不存在（可选 {', '.join(Method.values)}）",
                          f"unknown sampling method {method!r} (one of {', '.join(Method.values)})")
    if risk_weight < 1:
        raise PlanInvalid("风险权重至少为 1", "the risk weight must be at least 1")
    members = population(program=program, refund_year=refund_year, region_code=region_code,
                         states=states)
    if not 0 < size <= len(members):
        raise PlanInvalid(f"样本量 {size} 须在 1 到总体 {len(members)} 件之间",
                          f"the sample size {size} must be between 1 and the population "
                          f"of {len(members)} cases")
    seed = seed if seed is not None else secrets.randbits(63)
    sample = draw(members, method=method, n=size, seed=seed, risk_weight=risk_weight)
    allocation = (allocate(Counter(m.stratum for m in members), size)
                  if method == Method.STRATIFIED else None)
    with transaction.atomic():
        plan = SamplePlan.objects.create(
            program=program, refund_year=refund_year, region_code=region_code, method=method,
            size=size, seed=seed, states=";".join(states), allocation=allocation,
            risk_weight=risk_weight, population=len(members),
            population_sha256=fingerprint(members), auditor=auditor, created_by=actor,
            created_at=clock.now())
        SampleItem.objects.bulk_create([
            SampleItem(plan=plan, case_id=m.case_id, draw=i,
                       stratum=m.stratum if method == Method.STRATIFIED else "")
            for i, m in enumerate(sample, start=1)])
        audit.record("spot_check.planned", actor=actor.get_username(), target=f"sample_plan:{plan.pk}",
                     details={"program": program, "refund_year": refund_year,
                              "region_code": region_code, "method": method, "size": size,
                              "seed": seed, "risk_weight": risk_weight, "states": list(states),
                              "population": len(members),
                              "population_sha256": plan.population_sha256,
                              "auditor": auditor.get_username(),
                              "cases": [m.case_id for m in sample]})
    return plan


@dataclass(frozen=True)
class Reproduction:
    same_population: bool
    same_sample: bool


def reproduce(plan: SamplePlan) -> Reproduction:
    """Draw ``plan`` again from today's population: does it give the recorded sample?

    A population that changed since (a case paid, withdrawn) shows in the fingerprint; the
    sample is then compared anyway, for what it is worth.
    """
    members = population(program=plan.program, refund_year=plan.refund_year,
                         region_code=plan.region_code, states=tuple(plan.states.split(";")))
    again = [m.case_id for m in draw(members, method=plan.method, n=plan.size, seed=plan.seed,
                                     risk_weight=plan.risk_weight)]
    recorded = list(plan.items.order_by("draw").values_list("case_id", flat=True))
    return Reproduction(same_population=fingerprint(members) == plan.population_sha256,
                        same_sample=again == recorded)
