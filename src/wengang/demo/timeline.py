"""Month by month: insured headcounts, premiums due and paid, and the separations behind them.

Units are processed in fixed chunks (``CHUNK_UNITS``) as (units × months) integer matrices;
each chunk has its own random stream, so the output is the same whatever the machine, and a
million units never sit in memory as rows at once.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import polars as pl

from . import vocab
from .identifiers import digit_points, join_points
from .population import EDGE_FAIL, EDGE_PASS, GROWING, LAYOFFS, SHRINKING, STABLE, Population
from .spec import CitySpec

CHUNK_UNITS = 50_000
LARGE_RELIEF_HEADCOUNT = 300     # 2020 relief: units this large only had the unit part halved
CHURN_PER_MONTH = 0.004          # leavers replaced by hires: separations without a net drop
SEPARATION_REASONS = ("layoff", "contract_end", "resignation", "retirement", "transfer",
                      "death", "other")
# Reason mix (same order as SEPARATION_REASONS) for net drops at units cutting staff, net drops
# elsewhere, and churn; and the chance each reason comes with a UI benefit claim.
_REASONS_CUTTING = (0.75, 0.12, 0.08, 0.02, 0.01, 0.005, 0.015)
_REASONS_DROP = (0.03, 0.30, 0.50, 0.10, 0.04, 0.01, 0.02)
_REASONS_CHURN = (0.01, 0.25, 0.60, 0.08, 0.04, 0.01, 0.01)
_CLAIMS = np.array([0.85, 0.45, 0.03, 0.0, 0.0, 0.0, 0.2])


@dataclass
class Chunk:
    """One chunk's rows and the per-unit facts the summary and the tax feed need."""

    first_unit: int
    contributions: pl.DataFrame
    separations: pl.DataFrame
    mean_insured: np.ndarray      # over the months of Y with a row (NaN: no row in Y)
    premiums_due: int             # fen, all months
    premiums_paid: int


def chunks(spec: CitySpec, population: Population) -> Iterator[Chunk]:
    """Contribution and separation rows, ``CHUNK_UNITS`` units at a time, in unit order."""
    person_counter = 0
    for index, first in enumerate(range(0, len(population), CHUNK_UNITS)):
        units = slice(first, min(first + CHUNK_UNITS, len(population)))
        chunk = _chunk(spec, population, units, spec.rng("timeline", index), person_counter)
        person_counter += chunk.separations.height
        yield chunk


def _chunk(spec, population: Population, units: slice, rng, person_counter: int) -> Chunk:
    months = spec.months
    insured, present = _headcounts(spec, population, units, rng)
    due = _premiums_due(spec, population, units, insured)
    paid = _premiums_paid(population, units, due, present, rng)
    paid_on = _payment_dates(spec, population, units, paid, rng)
    unit_index, month_index = np.nonzero(present)
    uscc = population.uscc.slice(units.start, units.stop - units.start)
    contributions = pl.DataFrame({
        "uscc": uscc.gather(unit_index),
        "month": pl.Series(months.labels, dtype=pl.String).gather(month_index),
        "insured": pl.Series(insured[present], dtype=pl.Int64),
        "due": pl.Series(due[present], dtype=pl.Int64),
        "paid": pl.Series(paid[present], dtype=pl.Int64),
        "paid_on": pl.Series(paid_on[present], dtype=pl.Date),
    })
    separations = _separations(spec, population, units, insured, present, uscc, rng,
                               person_counter)
    in_year = present[:, 1:13]
    with np.errstate(invalid="ignore"):
        mean = np.where(in_year.any(axis=1),
                        (insured[:, 1:13] * in_year).sum(axis=1) / in_year.sum(axis=1), np.nan)
    return Chunk(units.start, contributions, separations, mean,
                 int(due[present].sum()), int(paid[present].sum()))


def _headcounts(spec, population: Population, units: slice, rng):
    """Insured at each month end, and which (unit, month) cells have a contribution row."""
    months = spec.months
    count, width = units.stop - units.start, months.count
    base = population.base[units]
    start, stop = population.start[units], population.stop[units]
    trend = population.trend[units]
    year_end = _year_end(base, trend, rng)

    month = np.arange(width)[None, :]
    anchor = np.maximum(start, 0)[:, None]
    span = np.maximum(12 - anchor, 1)
    shape = rng.uniform(0.5, 2.0, size=(count, 1))
    progress = np.clip((month - anchor) / span, 0.0, 1.0) ** shape
    path = base[:, None] + (year_end - base)[:, None] * progress
    # Month-to-month noise for larger units, none at the anchors (first month, December Y).
    wobble = rng.normal(0.0, 0.01, size=(count, width)) * base[:, None]
    inside = (month > anchor) & (month < 12)
    path = path + np.where(inside & (base[:, None] >= 20), wobble, 0.0)
    # After Y: a gentle drift from the December level (or from the first month, if later).
    pivot = np.maximum(anchor, 12)
    drift = rng.normal(0.003, 0.01, size=(count, 1))
    level = np.where(start[:, None] > 12, base[:, None], year_end[:, None])
    later = level * (1.0 + drift * (month - pivot)) + np.where(
        level >= 20, rng.normal(0.0, 0.01, size=(count, width)) * level, 0.0)
    path = np.where(month > 12, later, path)
    floor = np.where(year_end == 0, 0, 1)[:, None]
    insured = np.maximum(np.rint(path), floor).astype(np.int64)
    insured[:, 12] = np.where(start <= 12, year_end, insured[:, 12])

    jump = population.q4_jump[units]
    if jump.any():
        factor = rng.uniform(1.35, 2.2, size=(int(jump.sum()), 1))
        september = insured[jump, 9:10]
        insured[jump, 10:13] = np.maximum(np.ceil(september * factor), september + 2).astype(
            np.int64)

    present = (month >= start[:, None]) & (month <= stop[:, None])
    zero = population.zero_month[units]
    if zero.any():
        insured[zero, rng.integers(2, 12, size=int(zero.sum()))] = 0
    gap = population.gap[units]
    if gap.any():
        first_missing = rng.integers(3, 11, size=int(gap.sum()))
        length = rng.integers(1, 3, size=int(gap.sum()))
        rows = np.flatnonzero(gap)
        present[rows, first_missing] = False
        present[rows[length == 2], first_missing[length == 2] + 1] = False
    return insured, present


def _year_end(base: np.ndarray, trend: np.ndarray, rng) -> np.ndarray:
    """Headcount at December Y for each trend.

    Layoff rates are exact fractions: the most a unit may lose is ``base // 5`` (20%, baseline
    ≤ 30) or ``55 * base // 1000`` (5.5%), computed on integers so that the "at threshold"
    units sit exactly on the threshold and "over threshold" ones one person above it.
    """
    count = len(base)
    allowed = np.where(base <= 30, base // 5, 55 * base // 1000)
    threshold = np.where(base <= 30, 0.20, 0.055)
    small = base < 20
    step = rng.random(count)
    stable = np.where(small, base + np.where(step < 0.05, 1, np.where(step < 0.08, -1, 0)),
                      base + np.rint(rng.normal(0, 0.015, count) * base).astype(np.int64))
    stable = np.maximum(stable, 1)
    growing = base + np.maximum(1, np.rint(base * rng.uniform(0.05, 0.6, count))).astype(
        np.int64)
    shrinking = base - (allowed * rng.uniform(0.15, 1.0, count)).astype(np.int64)
    cut = np.maximum(allowed + 1, np.ceil(base * rng.uniform(threshold + 0.01, 0.7)))
    layoffs = np.maximum(base - cut.astype(np.int64), 0)
    return np.select(
        [trend == STABLE, trend == GROWING, trend == SHRINKING, trend == LAYOFFS,
         trend == EDGE_PASS, trend == EDGE_FAIL],
        [stable, growing, shrinking, layoffs, base - allowed, base - allowed - 1], base)


def _premiums_due(spec, population: Population, units: slice, insured) -> np.ndarray:
    """Premiums payable (fen): 1% of the contribution base (unit 0.5% + staff 0.5%).

    The base per insured is revised every July. In 2020 (COVID relief, 人社部发〔2020〕11号
    and 49号) the unit part was waived from February to December for smaller units and halved
    from February to June for large ones; government bodies and public institutions paid in full.
    """
    months = spec.months
    revisions = (np.arange(months.count) + 5) // 12           # Julys passed since December Y-1
    wage = population.wage[units][:, None] * population.raise_[units][:, None] ** revisions
    limits = vocab.wage_level(spec.year) * vocab.LIMITS_REVISION ** revisions
    floor, cap = vocab.WAGE_FLOOR * limits, vocab.WAGE_CAP * limits
    wage = np.rint(np.clip(wage, floor, cap)).astype(np.int64)
    full = insured * wage                                      # 1% of the base, in fen
    relief_month = (months.calendar_year == 2020) & (months.calendar_month >= 2)
    halved_month = relief_month & (months.calendar_month <= 6)
    unit_type = population.unit_type[units]
    relieved = ~np.isin(unit_type, ["government", "public_institution"])[:, None]
    large = insured >= LARGE_RELIEF_HEADCOUNT
    staff_only = (full + 1) // 2
    three_quarters = (3 * full + 2) // 4
    due = np.where(relieved & relief_month & ~large, staff_only, full)
    return np.where(relieved & halved_month & large, three_quarters, due)


def _premiums_paid(population: Population, units: slice, due, present, rng) -> np.ndarray:
    """Paid = due, except at units in arrears: one to three months unpaid or underpaid."""
    paid = due.copy()
    arrears = np.flatnonzero(population.arrears[units])
    if len(arrears) == 0:
        return paid
    start = population.start[units][arrears]
    stop = population.stop[units][arrears]
    for slot in range(3):
        chosen = arrears if slot == 0 else arrears[rng.random(len(arrears)) < 0.4]
        low, high = start[np.searchsorted(arrears, chosen)], stop[np.searchsorted(arrears, chosen)]
        month = low + (rng.random(len(chosen)) * (high - low + 1)).astype(np.int64)
        ok = present[chosen, month] & (due[chosen, month] > 0)
        chosen, month = chosen[ok], month[ok]
        share = np.where(rng.random(len(chosen)) < 0.6, 0.0, rng.uniform(0.3, 0.95, len(chosen)))
        paid[chosen, month] = (due[chosen, month] * share).astype(np.int64)
    return paid


def _payment_dates(spec, population: Population, units: slice, paid, rng) -> np.ndarray:
    """Day each month was paid: usually within the month; late payers months later."""
    months = spec.months
    count = units.stop - units.start
    last_day = (months.ends - months.starts).astype(np.int64)
    last_day[-1] = min(last_day[-1], spec.screening_date.day - 1)
    latest = np.datetime64(spec.screening_date)
    offset = np.minimum(rng.integers(9, 28, size=(count, months.count)), last_day[None, :])
    late = population.late_payer[units][:, None] & (rng.random((count, months.count)) < 0.5)
    offset = np.where(late, rng.integers(40, 120, size=(count, months.count)), offset)
    day = np.minimum(months.starts[None, :] + offset, latest)
    missing = (paid == 0) | population.no_paid_on[units][:, None]
    return np.where(missing, np.datetime64("NaT", "D"), day)


def _separations(spec, population: Population, units: slice, insured, present, uscc, rng,
                 person_counter: int) -> pl.DataFrame:
    """One row per person leaving: the net drops of each month plus replaced leavers."""
    months = spec.months
    both = present[:, 1:] & present[:, :-1]
    drops = np.where(both, np.maximum(insured[:, :-1] - insured[:, 1:], 0), 0)
    churn = np.where(both, rng.poisson(CHURN_PER_MONTH * insured[:, :-1]), 0)
    cutting = np.isin(population.trend[units], [SHRINKING, LAYOFFS, EDGE_PASS, EDGE_FAIL])
    group = np.concatenate([np.where(cutting[:, None], 0, 1) * np.ones_like(drops),
                            np.full_like(churn, 2)], axis=1)
    counts = np.concatenate([drops, churn], axis=1)
    flat_counts = counts.ravel()
    cells = np.repeat(np.arange(flat_counts.size), flat_counts)
    unit = cells // counts.shape[1]
    month = cells % counts.shape[1] % drops.shape[1] + 1
    row_group = group.ravel()[cells]
    cumulative = np.cumsum([_REASONS_CUTTING, _REASONS_DROP, _REASONS_CHURN], axis=1)
    draw = rng.random(len(cells))
    reason = (draw[:, None] > cumulative[row_group]).sum(axis=1).clip(0, 6)
    claims = rng.random(len(cells)) < _CLAIMS[reason]
    last_day = (months.ends - months.starts).astype(np.int64) + 1
    last_day[-1] = min(last_day[-1], spec.screening_date.day)
    day = months.starts[month] + (rng.random(len(cells)) * last_day[month]).astype(np.int64)
    order = np.lexsort((day, unit))
    unit, day, reason, claims = unit[order], day[order], reason[order], claims[order]
    number = _scramble(np.arange(person_counter, person_counter + len(cells), dtype=np.uint32),
                       key=spec.seed)
    points = np.empty((len(cells), 11), dtype=np.uint32)
    points[:, 0] = ord("P")
    points[:, 1:] = digit_points(number, 10)
    return pl.DataFrame({
        "uscc": uscc.gather(unit),
        "person": join_points(points),
        "separated_on": pl.Series(day, dtype=pl.Date),
        "reason": pl.Series(SEPARATION_REASONS, dtype=pl.String).gather(reason),
        "claims_benefit": pl.Series(claims, dtype=pl.Boolean),
    })


def _scramble(counter: np.ndarray, *, key: int) -> np.ndarray:
    """Opaque, distinct person numbers: a bijection of 32-bit counters (MurmurHash3's
    finaliser, keyed by the seed), so numbers never repeat and show no sequence."""
    x = counter.astype(np.uint32) ^ np.uint32(key & 0xFFFFFFFF)
    x ^= x >> np.uint32(16)
    x *= np.uint32(0x85EBCA6B)
    x ^= x >> np.uint32(13)
    x *= np.uint32(0xC2B2AE35)
    x ^= x >> np.uint32(16)
    return x.astype(np.int64)
