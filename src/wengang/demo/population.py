"""The units of the city: who they are (the ``units`` feed) and how they behave (latent traits).

Latent traits are what the other feeds are drawn from: headcount at the first month, the
headcount trend over Y, the wage base, arrears, registration status, planted fraud signals.
Everything is a column of length ``units``; there is no loop over units.
"""

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from . import names, vocab
from .identifiers import org_codes, resident_ids, uscc_codes
from .regions import District, city_districts
from .spec import CitySpec

# Headcount trends over Y (December Y-1 → December Y).
STABLE, GROWING, SHRINKING, LAYOFFS, EDGE_PASS, EDGE_FAIL = range(6)
TREND_SHARES = (0.66, 0.17, 0.10, 0.05, 0.01, 0.01)
TREND_NAMES = ("stable", "growing", "shrinking", "layoffs", "at_threshold", "over_threshold")

STATUSES = ("active", "revoked", "cancelled", "liquidating", "bankrupt")
STATUS_SHARES = (0.995, 0.0015, 0.002, 0.0008, 0.0007)

NEW_UNIT_SHARE = 0.12        # first insured during the contribution window
ARREARS_SHARE = 0.03
GAP_SHARE = 0.005            # a month or two without a contribution row in Y
ZERO_MONTH_SHARE = 0.003     # a month of Y with nobody insured
DORMANT_SHARE = 0.01         # stop contributing before the screening month
LATE_PAYER_SHARE = 0.01      # pay in full, months late
NO_PAID_ON_SHARE = 0.02      # their agency records no payment dates
Q4_JUMP_SHARE = 0.003        # fraud signal: headcount up > 30% in Q4 of Y
YOUNG_LARGE_SHARE = 0.0005   # fraud signal: registered in Y with a large premium base
SHARED_ACCOUNT_SHARE = 0.003
AGENT_PHONE_SHARE = 0.015
MODERN_CODES_FROM = np.datetime64("2015-10-01")


@dataclass
class Population:
    """The units feed plus the latent traits the other feeds are drawn from."""

    table: pl.DataFrame
    unit_type: np.ndarray
    industry: np.ndarray        # index into vocab.INDUSTRIES
    base: np.ndarray            # headcount in the first contribution month
    start: np.ndarray           # month index of the first contribution row
    stop: np.ndarray            # month index of the last contribution row
    trend: np.ndarray
    wage: np.ndarray            # contribution base per insured, yuan/month, until June of Y
    raise_: np.ndarray          # factor applied to the wage base from July of Y
    status: np.ndarray
    arrears: np.ndarray
    gap: np.ndarray
    zero_month: np.ndarray
    late_payer: np.ndarray
    no_paid_on: np.ndarray
    q4_jump: np.ndarray
    young_large: np.ndarray
    signals: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def uscc(self) -> pl.Series:
        return self.table.get_column("uscc")

    def __len__(self) -> int:
        return self.table.height


def make_population(spec: CitySpec) -> Population:
    """Draw the units of the city and their latent traits."""
    rng = spec.rng("units")
    count = spec.units
    months = spec.months
    districts = city_districts(spec.region_code)
    city = districts[0].city_name

    type_names = np.array([name for name, _, _ in vocab.UNIT_TYPES])
    kind = rng.choice(len(type_names), size=count, p=[share for _, share, _ in vocab.UNIT_TYPES])
    unit_type = type_names[kind]
    district = rng.choice(len(districts), size=count,
                          p=_normalised([d.weight for d in districts]))
    industry = _industries(rng, unit_type)
    enterprise = unit_type == "enterprise"
    dispatch = enterprise & (rng.random(count) < 0.0125)
    industry[dispatch] = vocab.INDUSTRY_INDEX["72"]

    start, since, registered = _insurance_dates(rng, spec, unit_type)
    young_large = _pick_share(rng, enterprise & (start == 0), YOUNG_LARGE_SHARE, minimum=0)
    if young_large.any():
        size = int(young_large.sum())
        registered[young_large] = (np.datetime64(f"{spec.year}-03-01")
                                   + rng.integers(0, 150, size=size)).astype("datetime64[D]")
        since[young_large] = registered[young_large] + rng.integers(0, 30, size=size)
        start[young_large] = months.index_of(since[young_large])

    base = _headcounts(rng, unit_type, industry, dispatch)
    base = np.where(start > 0, np.maximum(1, base // 2), base)
    base[young_large] = rng.integers(80, 400, size=int(young_large.sum()))

    status = np.asarray(STATUSES)[rng.choice(len(STATUSES), size=count, p=STATUS_SHARES)]
    trend = rng.choice(len(TREND_SHARES), size=count, p=TREND_SHARES)
    trend = np.where((trend >= EDGE_PASS) & (base < 5), STABLE, trend)
    trend = np.where(status == "liquidating", LAYOFFS, trend)
    trend[young_large] = GROWING
    # A 5.5% cut is a whole number of people only for multiples of 200: put some of the larger
    # "at threshold" units there, so that screening meets a rate of exactly 0.0550.
    snap = (trend == EDGE_PASS) & (base >= 120)
    base[snap] = np.maximum(200, np.rint(base[snap] / 200).astype(np.int64) * 200)
    stop = np.full(count, months.count - 1)
    closing = np.isin(status, ["revoked", "cancelled", "bankrupt"]) | (
        (status == "active") & (rng.random(count) < DORMANT_SHARE))
    closing &= start < months.count - 2
    stop[closing] = start[closing] + (rng.random(int(closing.sum()))
                                      * (months.count - 1 - start[closing])).astype(np.int64)

    q4_jump = _pick_share(rng, (start <= 9) & np.isin(trend, [STABLE, GROWING]) & (base >= 3)
                          & (stop >= months.december) & ~young_large, Q4_JUMP_SHARE)
    wage, raise_ = _wages(rng, spec, unit_type, industry)
    wage[young_large] = (rng.integers(12_000, 15_000, size=int(young_large.sum()))
                         * vocab.wage_level(spec.year)).astype(np.int64)

    table = _units_table(rng, spec, districts, city, kind=kind, unit_type=unit_type,
                         industry=industry,
                         district=district, registered=registered, since=since,
                         dispatch=dispatch, base=base)
    table, signals = _plant_shared_contacts(rng, table)
    signals["q4_jump"] = q4_jump
    signals["young_large_base"] = young_large
    return Population(
        table=table, unit_type=unit_type, industry=industry, base=base, start=start, stop=stop,
        trend=trend, wage=wage, raise_=raise_, status=status,
        arrears=rng.random(count) < ARREARS_SHARE,
        gap=(rng.random(count) < GAP_SHARE) & (start <= 2) & (stop >= months.december),
        zero_month=(rng.random(count) < ZERO_MONTH_SHARE) & (start <= 1),
        late_payer=rng.random(count) < LATE_PAYER_SHARE,
        no_paid_on=rng.random(count) < NO_PAID_ON_SHARE,
        q4_jump=q4_jump, young_large=young_large, signals=signals)


def _normalised(weights) -> np.ndarray:
    weights = np.asarray(weights, dtype=np.float64)
    return weights / weights.sum()


def _pick_share(rng, eligible: np.ndarray, share: float, minimum: int = 1) -> np.ndarray:
    """Mark about ``share`` of all units, chosen among the eligible (at least ``minimum``)."""
    candidates = np.flatnonzero(eligible)
    wanted = min(len(candidates), max(minimum, round(share * len(eligible))))
    chosen = np.zeros(len(eligible), dtype=bool)
    chosen[rng.choice(candidates, size=wanted, replace=False)] = True
    return chosen


def _industries(rng, unit_type: np.ndarray) -> np.ndarray:
    """Industry of each unit, as an index into ``vocab.INDUSTRIES``."""
    industry = np.empty(len(unit_type), dtype=np.int64)
    mask = unit_type == "enterprise"
    weights = np.array([i.weight for i in vocab.INDUSTRIES])
    industry[mask] = rng.choice(len(weights), size=int(mask.sum()), p=_normalised(weights))
    for kind, mix in vocab.INDUSTRIES_BY_TYPE.items():
        mask = unit_type == kind
        options = np.array([vocab.INDUSTRY_INDEX[code] for code in mix])
        industry[mask] = options[rng.choice(len(mix), size=int(mask.sum()),
                                            p=_normalised(list(mix.values())))]
    return industry


def industry_codes(industry: np.ndarray) -> pl.Series:
    return pl.Series([i.code for i in vocab.INDUSTRIES], dtype=pl.String).gather(industry)


def in_divisions(industry: np.ndarray, codes) -> np.ndarray:
    """Whether each unit's industry is one of the division ``codes``."""
    return np.isin(industry, [vocab.INDUSTRY_INDEX[code] for code in codes])


def _insurance_dates(rng, spec: CitySpec, unit_type: np.ndarray):
    """First contribution month, ``ui_insured_since`` and ``registered_on`` of each unit."""
    months = spec.months
    count = len(unit_type)
    start = np.zeros(count, dtype=np.int64)
    new = rng.random(count) < NEW_UNIT_SHARE
    later = months.count - 13
    window = np.arange(1, months.count)
    weights = np.where(window <= 12, 0.75 / 12, 0.25 / max(1, later))
    start[new] = rng.choice(window, size=int(new.sum()), p=_normalised(weights))
    # New units: insured on a day of their first month (never after the screening date).
    month_length = (months.ends - months.starts).astype(np.int64) + 1
    last_day = np.minimum(month_length, np.where(
        np.arange(months.count) == months.count - 1, spec.screening_date.day, month_length))
    day = (rng.random(count) * last_day[start]).astype(np.int64)
    since = months.starts[start] + day
    # Older units: insured for years before December Y-1 (not before the 1999 regulation).
    age = (rng.exponential(6 * 365, size=count) + 1).astype(np.int64)
    older = np.maximum(months.starts[0] - age, np.datetime64("1999-01-01"))
    since = np.where(new, since, older)
    lag = np.select([rng.random(count) < 0.55, rng.random(count) < 0.78],
                    [rng.integers(0, 60, size=count), rng.integers(60, 730, size=count)],
                    rng.integers(730, 3650, size=count))
    earliest = np.where(np.isin(unit_type, ["government", "public_institution"]),
                        np.datetime64("1950-01-01"), np.datetime64("1980-01-01"))
    registered = np.maximum(since - lag, earliest)
    registered = np.minimum(registered, since)
    return start, since.astype("datetime64[D]"), registered.astype("datetime64[D]")


def _headcounts(rng, unit_type, industry, dispatch) -> np.ndarray:
    """Heavy-tailed headcounts: most units 1–20 insured, a few thousand and more."""
    count = len(unit_type)
    mu = np.zeros(count)
    sigma = np.zeros(count)
    for kind, (m, s) in vocab.HEADCOUNT.items():
        mask = unit_type == kind
        mu[mask], sigma[mask] = m, s
    multiplier = np.where(unit_type == "enterprise", industry_attribute(industry, "staff"), 1.0)
    multiplier *= np.where(dispatch, 4.0, 1.0)
    heads = np.ceil(np.exp(rng.normal(mu, sigma)) * multiplier)
    return np.clip(heads, 1, vocab.MAX_HEADCOUNT).astype(np.int64)


def industry_attribute(industry: np.ndarray, attribute: str) -> np.ndarray:
    """An attribute of each unit's industry (``staff``, ``wage``, ``revenue`` …)."""
    return np.array([getattr(i, attribute) for i in vocab.INDUSTRIES])[industry]


def _wages(rng, spec: CitySpec, unit_type, industry):
    """Monthly contribution base per insured (yuan) between the local floor and cap.

    Jiangxi-like limits (``vocab.WAGE_FLOOR`` … ``WAGE_CAP``) in the first half of Y; many small
    private units declare the floor. The base is revised each July (``raise_``).
    """
    count = len(unit_type)
    level = vocab.wage_level(spec.year)
    floor, cap = vocab.WAGE_FLOOR * level, vocab.WAGE_CAP * level
    wage = industry_attribute(industry, "wage") * np.exp(rng.normal(0, 0.35, size=count)) * level
    at_floor = ((unit_type == "individual_business") & (rng.random(count) < 0.7)) | (
        in_divisions(industry, ["62", "61", "52", "80", "82"]) & (rng.random(count) < 0.4))
    wage = np.where(at_floor, floor, np.clip(wage, floor, cap))
    return np.round(wage).astype(np.int64), rng.uniform(1.0, 1.08, size=count)


def _units_table(rng, spec, districts: list[District], city: str, *, kind, unit_type,
                 industry, district, registered, since, dispatch, base) -> pl.DataFrame:
    count = len(unit_type)
    codes = np.array([int(d.code) for d in districts])[district]
    district_names = [d.name for d in districts]
    prefix = np.array([[ord(char) for char in prefix] for _, _, prefix in vocab.UNIT_TYPES],
                      dtype=np.uint32)[kind]
    uscc = uscc_codes(prefix, codes, org_codes(rng, registered >= MODERN_CODES_FROM))
    name = names.unit_names(rng, unit_type=unit_type, industry=industry, district=district,
                            district_names=district_names, city=city,
                            province=districts[0].province_name,
                            province_short=districts[0].province_short, headcount=base,
                            labour_dispatch=dispatch)
    male = rng.random(count) < 0.75
    rep_name = names.person_names(rng, male)
    births = (np.datetime64("1955-01-01")
              + (rng.beta(2.2, 2.0, size=count) * 16_800).astype(np.int64)).astype("datetime64[D]")
    birth_county = np.select(
        [rng.random(count) < 0.5, rng.random(count) < 0.7],
        [codes, np.array([int(d.code) for d in districts])[rng.integers(0, len(districts),
                                                                        size=count)]],
        np.array([int(c) for c in vocab.BIRTH_COUNTIES])[rng.integers(
            0, len(vocab.BIRTH_COUNTIES), size=count)])
    rep_id = resident_ids(birth_county, births, male, rng)
    has_clerk = rng.random(count) < 0.6
    clerk_name = names.person_names(rng, rng.random(count) < 0.3)
    branch = names.where(
        rng.random(count) < 0.5,
        pl.Series([n.rstrip("区县") for n in district_names], dtype=pl.String).gather(district),
        names.choose(rng, vocab.TRADE_WORDS, count))
    bank_name, bank_account, bank = names.bank_accounts(rng, count, city=city,
                                                        branch_words=branch)
    has_bank = rng.random(count) < 0.88
    si_kind = rng.random(count)
    si_account = pl.select(
        pl.when(pl.lit(pl.Series(si_kind < 0.21))).then(pl.lit(bank_account))
        .when(pl.lit(pl.Series(si_kind < 0.35))).then(pl.lit(names.account_numbers(rng, bank)))
        .otherwise(None)).to_series()
    table = pl.DataFrame({
        "uscc": uscc,
        "name": name,
        "unit_type": pl.Series([t for t, _, _ in vocab.UNIT_TYPES], dtype=pl.String).gather(kind),
        "region_code": pl.Series([d.code for d in districts], dtype=pl.String).gather(district),
        "industry_code": industry_codes(industry),
        "registered_on": pl.Series(registered, dtype=pl.Date),
        "ui_insured_since": pl.Series(since, dtype=pl.Date),
        "is_labour_dispatch": pl.Series(dispatch, dtype=pl.Boolean),
        "legal_rep_name": rep_name,
        "legal_rep_id": rep_id,
        "contact_phone": names.mobile_numbers(rng, count),
        "clerk_name": clerk_name,
        "clerk_phone": names.mobile_numbers(rng, count),
        "bank_name": bank_name,
        "bank_account": bank_account,
        "si_account": si_account,
    })
    no_rep_id = pl.Series(rng.random(count) < 0.05)
    return table.with_columns(
        pl.when(no_rep_id).then(None).otherwise(pl.col("legal_rep_id")).alias("legal_rep_id"),
        *[pl.when(pl.lit(pl.Series(has_clerk))).then(pl.col(c)).otherwise(None).alias(c)
          for c in ("clerk_name", "clerk_phone")],
        *[pl.when(pl.lit(pl.Series(has_bank))).then(pl.col(c)).otherwise(None).alias(c)
          for c in ("bank_name", "bank_account")],
    )


def _plant_shared_contacts(rng, table: pl.DataFrame) -> tuple[pl.DataFrame, dict]:
    """Fraud signals in contact data: shared bank accounts, agents' phones, serial legal reps."""
    count = table.height
    index = np.arange(count)
    has_account = table.get_column("bank_account").is_not_null().to_numpy()
    shared = _pick_share(rng, has_account, SHARED_ACCOUNT_SHARE, minimum=0)
    followers = np.flatnonzero(shared)
    leaders = rng.choice(np.flatnonzero(has_account & ~shared),
                         size=max(1, len(followers) // 2)) if len(followers) else followers
    account_source = index.copy()
    account_source[followers] = leaders[rng.integers(0, len(leaders), size=len(followers))] \
        if len(followers) else followers
    # Agents (代理记账) register many small units with their own phone.
    agents = max(1, count // 3000)
    agent_users = _pick_share(rng, np.ones(count, dtype=bool), AGENT_PHONE_SHARE, minimum=0)
    agent_rows = rng.choice(count, size=agents, replace=False)
    phone_source = index.copy()
    phone_source[agent_users] = agent_rows[rng.integers(0, agents, size=int(agent_users.sum()))]
    # A few people are the legal representative of many units.
    serial = max(1, count // 5000)
    rep_source = index.copy()
    heads = rng.choice(count, size=serial, replace=False)
    spans = rng.integers(5, 31, size=serial)
    members = rng.choice(count, size=int(spans.sum()), replace=False) if spans.sum() < count \
        else index
    rep_source[members] = np.repeat(heads, spans)[:len(members)]

    def take(column: str, source: np.ndarray) -> pl.Expr:
        return pl.lit(table.get_column(column).gather(source)).alias(column)

    table = table.with_columns(
        take("bank_name", account_source), take("bank_account", account_source),
        take("contact_phone", phone_source), take("legal_rep_name", rep_source),
        take("legal_rep_id", rep_source),
    )
    # The agent is the units' social-insurance clerk too.
    agent = pl.Series(agent_users)
    table = table.with_columns(
        pl.when(agent).then(pl.col("contact_phone")).otherwise(pl.col("clerk_phone"))
        .alias("clerk_phone"),
        pl.when(agent).then(pl.lit(table.get_column("legal_rep_name").gather(phone_source)))
        .otherwise(pl.col("clerk_name")).alias("clerk_name"),
    )
    signals = {
        "shared_bank_account": account_source != index,
        "agent_phone": phone_source != index,
        "serial_legal_rep": rep_source != index,
    }
    return table, signals
