"""What the other departments report: tax, market registry, credit, environment, difficulty.

Each feed is drawn from the units' latent traits with its own random stream. Dates fall between
1 January Y-2 and the screening date (a feed cannot report the future).
"""

from datetime import date, timedelta

import numpy as np
import polars as pl

from . import vocab
from .population import Population, in_divisions, industry_attribute
from .spec import CitySpec

TAX_MISSING_SHARE = 0.08       # plus government bodies and public institutions: ~10% in all
TAX_PREVIOUS_YEAR_SHARE = 0.25
ABNORMAL_SHARE = 0.01
RESTRUCTURED_SHARE = 0.005
CREDIT_SHARE = 0.01
ENVIRONMENT_SHARE = 0.008
DIFFICULTY_SHARE = 0.01
RESTRUCTURE_KINDS = ("conversion", "merger", "split", "reorganisation")
CERTIFIERS = ("ndrc", "miit", "sasac", "joint")
MINIMUM_ROWS = 3               # optional feeds never come out empty (the dirty city needs rows)


def tax(spec: CitySpec, population: Population, mean_insured: np.ndarray) -> pl.DataFrame:
    """Revenue and total assets (fen) for year Y, consistent with headcount and industry."""
    rng = spec.rng("tax")
    count = len(population)
    unit_type = population.unit_type
    reported = ~np.isin(unit_type, ["government", "public_institution"]) & (
        rng.random(count) >= TAX_MISSING_SHARE)
    staff = np.where(np.isnan(mean_insured), population.base, mean_insured)
    per_head = industry_attribute(population.industry, "revenue") * np.exp(
        rng.normal(0, 0.8, count))
    per_head *= np.select([unit_type == "individual_business",
                           np.isin(unit_type, ["social_org", "foundation", "social_service"]),
                           np.isin(unit_type, ["law_firm", "accounting_firm"])],
                          [0.5, 0.3, 1.0], 1.0)
    revenue = np.rint(staff * per_head * 100).astype(np.int64) + rng.integers(0, 100, count)
    revenue = np.where(rng.random(count) < 0.02, 0, revenue)          # dormant shells
    ratio = industry_attribute(population.industry, "assets") * np.exp(rng.normal(0, 0.6, count))
    assets = np.maximum(np.rint(revenue * ratio).astype(np.int64),
                        rng.integers(1_000_000, 50_000_000, count))
    previous = reported & (rng.random(count) < TAX_PREVIOUS_YEAR_SHARE)
    growth = rng.uniform(0.8, 1.1, count)
    units = np.concatenate([np.flatnonzero(previous), np.flatnonzero(reported)])
    year = np.concatenate([np.full(previous.sum(), spec.year - 1),
                           np.full(reported.sum(), spec.year)])
    revenue_column = np.concatenate([(revenue[previous] * growth[previous]).astype(np.int64),
                                     revenue[reported]])
    assets_column = np.concatenate([(assets[previous] * growth[previous]).astype(np.int64),
                                    assets[reported]])
    order = np.lexsort((year, units))
    return pl.DataFrame({
        "uscc": population.uscc.gather(units[order]),
        "year": pl.Series(year[order], dtype=pl.Int64),
        "revenue": pl.Series(revenue_column[order], dtype=pl.Int64),
        "total_assets": pl.Series(assets_column[order], dtype=pl.Int64),
    })


def registry(spec: CitySpec, population: Population) -> pl.DataFrame:
    """Registration status of every unit, the abnormal-operation list and restructurings."""
    rng = spec.rng("registry")
    count = len(population)
    status = population.status
    chance = np.where(population.base <= 5, 0.014, 0.006)
    chance = np.where(status == "revoked", 0.5, chance)
    abnormal = rng.random(count) < chance
    restructured = rng.random(count) < RESTRUCTURED_SHARE
    kind = rng.choice(len(RESTRUCTURE_KINDS), size=count, p=[0.45, 0.2, 0.1, 0.25])
    registered = _registered(population)
    on = np.maximum(_dates_between(rng, count, date(spec.year - 2, 1, 1), spec.screening_date),
                    registered)
    return pl.DataFrame({
        "uscc": population.uscc,
        "status": pl.Series(status, dtype=pl.String),
        "abnormal": pl.Series(abnormal, dtype=pl.Boolean),
        "restructured_on": pl.Series(np.where(restructured, on, np.datetime64("NaT", "D")),
                                     dtype=pl.Date),
        "restructure_kind": pl.Series(RESTRUCTURE_KINDS, dtype=pl.String).gather(kind),
    }).with_columns(pl.when(pl.col("restructured_on").is_not_null())
                    .then(pl.col("restructure_kind")).alias("restructure_kind"))


def credit(spec: CitySpec, population: Population) -> pl.DataFrame:
    """Serious-dishonesty listings (严重失信); about a third removed again before ``as_of``."""
    rng = spec.rng("credit")
    weight = np.where(np.isin(population.unit_type, ["enterprise", "individual_business"]),
                      1.0, 0.2)
    units = _some_units(rng, weight, CREDIT_SHARE, second=0.05)
    listed = np.maximum(
        _dates_between(rng, len(units), date(spec.year - 2, 1, 1), spec.screening_date),
        _registered(population)[units])
    removed = listed + rng.integers(180, 720, size=len(units))
    keep_removal = (rng.random(len(units)) < 0.35) & (removed <= np.datetime64(
        spec.screening_date))
    frame = pl.DataFrame({
        "uscc": population.uscc.gather(units),
        "list": pl.Series(["serious_dishonesty"] * len(units), dtype=pl.String),
        "listed_on": pl.Series(listed, dtype=pl.Date),
        "removed_on": pl.Series(np.where(keep_removal, removed, np.datetime64("NaT", "D")),
                                dtype=pl.Date),
    })
    return _distinct_dates(frame, "listed_on")


def environment(spec: CitySpec, population: Population) -> pl.DataFrame:
    """Environmental penalties, mostly in polluting industries; a quarter of them major."""
    rng = spec.rng("environment")
    weight = industry_attribute(population.industry, "pollutes") * np.where(
        population.base >= 5, 2.0, 1.0)
    units = _some_units(rng, weight, ENVIRONMENT_SHARE, second=0.1)
    frame = pl.DataFrame({
        "uscc": population.uscc.gather(units),
        "penalty_on": pl.Series(np.maximum(
            _dates_between(rng, len(units), date(spec.year - 2, 1, 1), spec.screening_date),
            _registered(population)[units]), dtype=pl.Date),
        "severity": pl.Series(["major", "general"], dtype=pl.String).gather(
            (rng.random(len(units)) >= 0.25).astype(np.int64)),
    })
    return _distinct_dates(frame, "penalty_on")


def difficulty(spec: CitySpec, population: Population) -> pl.DataFrame:
    """Difficulty certificates of enterprises hit hard (manufacturing, hospitality, transport).

    Most were issued early in Y+1 and are valid on ``as_of``; some issued during Y for six
    months have expired by then.
    """
    rng = spec.rng("difficulty")
    hit = in_divisions(population.industry, [i.code for i in vocab.INDUSTRIES
                                             if "10" <= i.code[:2] <= "46"] + ["54", "61", "62"])
    weight = np.where(population.unit_type == "enterprise", np.where(hit, 3.0, 1.0), 0.0)
    units = _some_units(rng, weight, DIFFICULTY_SHARE, second=0.02)
    recent = rng.random(len(units)) < 0.6
    valid_from = np.where(
        recent,
        _dates_between(rng, len(units), date(spec.year + 1, 1, 15), spec.screening_date),
        _dates_between(rng, len(units), date(spec.year, 1, 1), date(spec.year, 12, 31)))
    months = np.where(rng.random(len(units)) < 0.5, 6, 12)
    valid_to = (valid_from.astype("datetime64[M]") + months).astype("datetime64[D]") + (
        valid_from - valid_from.astype("datetime64[M]").astype("datetime64[D]")) \
        - np.timedelta64(1, "D")
    frame = pl.DataFrame({
        "uscc": population.uscc.gather(units),
        "certified_by": pl.Series(CERTIFIERS, dtype=pl.String).gather(
            rng.choice(len(CERTIFIERS), size=len(units), p=[0.3, 0.4, 0.1, 0.2])),
        "valid_from": pl.Series(valid_from, dtype=pl.Date),
        "valid_to": pl.Series(valid_to, dtype=pl.Date),
    })
    return _distinct_dates(frame, "valid_from")


def _some_units(rng, weight: np.ndarray, share: float, *, second: float) -> np.ndarray:
    """About ``share`` of all units, drawn by ``weight``; a few (``second``) listed twice.

    Sorted by unit index, so feeds come out in the same order as the units file.
    """
    weight = np.asarray(weight, dtype=np.float64)
    candidates = np.flatnonzero(weight > 0)
    wanted = min(len(candidates), max(MINIMUM_ROWS, round(share * len(weight))))
    chosen = rng.choice(candidates, size=wanted, replace=False,
                        p=weight[candidates] / weight[candidates].sum())
    twice = chosen[rng.random(len(chosen)) < second]
    return np.sort(np.concatenate([chosen, twice]))


def _registered(population: Population) -> np.ndarray:
    return population.table.get_column("registered_on").to_numpy().astype("datetime64[D]")


def _dates_between(rng, count: int, first: date, last: date) -> np.ndarray:
    days = (last - first).days + 1
    return np.datetime64(first) + rng.integers(0, days, size=count)


def _distinct_dates(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """A unit listed twice on the same day would repeat the key: move the repeat a day back."""
    repeat = frame.select(pl.int_range(pl.len()).over(["uscc", column]) > 0).to_series()
    return frame.with_columns(
        pl.when(repeat).then(pl.col(column) - timedelta(days=1)).otherwise(pl.col(column))
        .alias(column))
