"""The 20,000-unit demo city is realistic where screening looks: headcounts, layoffs, arrears …

Figures are computed from the written files with the reference definitions of FEEDS.md, not
from the generator's internals.
"""

from datetime import date

import polars as pl
import pytest

Y = 2019
AS_OF = date(2020, 4, 15)


@pytest.fixture(scope="module")
def contributions(feeds) -> pl.DataFrame:
    return feeds["contributions"].with_columns(
        pl.col("insured").cast(pl.Int64),
        (pl.col("due").str.replace(".", "", literal=True).cast(pl.Int64)).alias("due_fen"),
        (pl.col("paid").str.replace(".", "", literal=True).cast(pl.Int64)).alias("paid_fen"))


@pytest.fixture(scope="module")
def per_unit(feeds, contributions) -> pl.DataFrame:
    """One row per unit: baseline, year-end and mean headcount, layoff rate, arrears."""
    in_y = pl.col("month").str.starts_with(f"{Y}-")
    facts = contributions.group_by("uscc").agg(
        pl.col("insured").filter(pl.col("month") == f"{Y - 1}-12").first().alias("december_before"),
        pl.col("insured").filter(in_y).sort_by(pl.col("month").filter(in_y)).first()
        .alias("first_in_y"),
        pl.col("insured").filter(pl.col("month") == f"{Y}-12").first().alias("year_end"),
        pl.col("insured").filter(in_y).mean().alias("mean_insured"),
        (pl.col("paid_fen") < pl.col("due_fen")).any().alias("arrears"),
        pl.col("month").min().alias("first_month"),
    ).with_columns(pl.coalesce("december_before", "first_in_y").alias("baseline"))
    facts = facts.with_columns(
        pl.when(pl.col("baseline") > 0)
        .then(((pl.col("baseline") - pl.col("year_end")) / pl.col("baseline")).clip(0))
        .otherwise(0.0).alias("layoff_rate"))
    return feeds["units"].select("uscc", "unit_type", "ui_insured_since", "registered_on",
                                 "is_labour_dispatch").join(facts, on="uscc", how="left")


def test_contributions_run_17_months_from_december_y_minus_1_to_april_y_plus_1(contributions):
    months = sorted(contributions.get_column("month").unique())
    assert len(months) == 17
    assert months[0] == "2018-12" and months[-1] == "2020-04"


def test_likely_beneficiaries_insure_about_27_people_on_average(per_unit):
    """2020: 85.13 million employees in 3.2 million refunded enterprises, about 27 each."""
    likely = per_unit.filter(
        pl.col("unit_type").is_in(["enterprise", "individual_business"])
        & (pl.col("layoff_rate") <= 0.055) & ~pl.col("arrears") & pl.col("year_end").is_not_null())
    assert likely.height > 0.6 * per_unit.height
    assert 20 <= likely.get_column("mean_insured").mean() <= 35


def test_headcounts_are_heavy_tailed(per_unit):
    insured = per_unit.get_column("baseline").drop_nulls()
    assert insured.median() <= 8
    assert (insured <= 20).mean() > 0.7
    assert insured.max() >= 1000
    assert (insured >= 1000).sum() >= 5


def test_about_3_percent_of_units_are_in_arrears(per_unit, contributions):
    assert 0.02 <= per_unit.get_column("arrears").mean() <= 0.04
    unpaid = contributions.filter(pl.col("paid_fen") == 0)
    assert unpaid.height > 0 and unpaid.get_column("paid_on").null_count() == unpaid.height
    assert (contributions.filter(pl.col("paid_fen") < pl.col("due_fen"))
            .get_column("month").str.starts_with("2020-").any())


def test_layoff_rates_fall_on_both_sides_of_both_thresholds(per_unit):
    rated = per_unit.filter(pl.col("year_end").is_not_null() & (pl.col("baseline") > 0))
    small = rated.filter(pl.col("baseline") <= 30)
    large = rated.filter(pl.col("baseline") > 30)
    rate = pl.col("layoff_rate")
    assert small.filter(rate == 0.2).height >= 10                   # exactly at the threshold
    assert small.filter((rate > 0.2) & (rate < 0.3)).height >= 10   # just above it
    assert large.filter(rate == 0.055).height >= 1
    assert large.filter((rate > 0.0) & (rate < 0.055)).height >= 20
    assert large.filter((rate > 0.055) & (rate < 0.07)).height >= 5
    failing = rated.filter(rate > pl.when(pl.col("baseline") <= 30).then(0.2).otherwise(0.055))
    assert 0.03 < failing.height / rated.height < 0.12


def test_some_units_join_during_the_year_and_have_no_december_row(per_unit):
    new = per_unit.filter(pl.col("ui_insured_since").str.starts_with(f"{Y}-"))
    assert 0.05 < new.height / per_unit.height < 0.15
    assert new.get_column("december_before").null_count() == new.height
    joined = new.get_column("ui_insured_since").str.slice(0, 7)
    assert (new.get_column("first_month") == joined).all()
    older = per_unit.filter(pl.col("ui_insured_since") < f"{Y - 1}-12-01")
    assert older.get_column("december_before").null_count() < 0.03 * older.height


def test_premiums_are_about_one_percent_of_a_3000_to_16000_yuan_base(contributions):
    in_y = contributions.filter(pl.col("month").str.starts_with(f"{Y}-") & (pl.col("insured") > 0))
    per_head = in_y.get_column("due_fen") / in_y.get_column("insured") / 100
    assert per_head.min() >= 29.99 and per_head.max() <= 160
    assert 40 <= per_head.median() <= 70
    relief = contributions.filter((pl.col("month") == "2020-03") & (pl.col("insured") > 0))
    assert (relief.get_column("due_fen") / relief.get_column("insured") / 100).median() < 35


def test_separations_account_for_every_net_drop(feeds, contributions):
    drops = contributions.sort("uscc", "month").with_columns(
        (pl.col("insured").shift(1).over("uscc") - pl.col("insured")).alias("drop"))
    drops = drops.filter(pl.col("drop") > 0).select("uscc", "month", "drop")
    separations = feeds["separations"]
    counted = separations.group_by("uscc", pl.col("separated_on").str.slice(0, 7).alias("month")
                                   ).len()
    joined = drops.join(counted, on=["uscc", "month"], how="left").fill_null(0)
    assert (joined.get_column("len") >= joined.get_column("drop")).mean() > 0.97
    reasons = separations.get_column("reason").value_counts().sort("count")
    assert reasons.height == 7
    claims = separations.group_by("reason").agg((pl.col("claims_benefit") == "true").mean())
    by_reason = dict(claims.iter_rows())
    assert by_reason["layoff"] > 0.7 and by_reason["retirement"] == 0.0
    assert by_reason["resignation"] < 0.1


def test_department_feeds_have_their_realistic_shares(feeds, per_unit):
    units = feeds["units"].height
    credit = feeds["credit"]
    assert 0.007 <= credit.get_column("uscc").n_unique() / units <= 0.013
    assert credit.get_column("removed_on").is_not_null().any()
    assert (credit.get_column("removed_on").drop_nulls() < str(AS_OF)).all()
    registry = feeds["registry"]
    assert 0.002 <= (registry.get_column("status") != "active").mean() <= 0.01
    assert 0.006 <= (registry.get_column("abnormal") == "true").mean() <= 0.015
    restructured = registry.filter(pl.col("restructured_on").is_not_null())
    assert restructured.height > 30
    assert restructured.get_column("restructure_kind").null_count() == 0
    tax = feeds["tax"].filter(pl.col("year") == str(Y))
    assert 0.86 <= tax.height / units <= 0.93
    assert feeds["tax"].filter(pl.col("year") == str(Y - 1)).height > 0
    environment = feeds["environment"]
    assert set(environment.get_column("severity")) == {"major", "general"}
    assert (environment.get_column("penalty_on") < f"{Y}-01-01").any()
    difficulty = feeds["difficulty"]
    assert 0.007 <= difficulty.height / units <= 0.015
    assert set(difficulty.get_column("certified_by")) == {"ndrc", "miit", "sasac", "joint"}
    assert (difficulty.get_column("valid_to") < str(AS_OF)).any()
    assert ((difficulty.get_column("valid_from") <= str(AS_OF))
            & (difficulty.get_column("valid_to") >= str(AS_OF))).sum() > 0.5 * difficulty.height
    assert 0.006 <= (per_unit.get_column("is_labour_dispatch") == "true").mean() <= 0.015


def test_unit_types_are_mostly_enterprises(feeds):
    share = feeds["units"].get_column("unit_type").value_counts(normalize=True)
    shares = dict(share.iter_rows())
    assert 0.75 < shares["enterprise"] < 0.85
    assert 0.09 < shares["individual_business"] < 0.15
    assert all(shares[kind] < 0.03 for kind in shares
               if kind not in ("enterprise", "individual_business"))


def test_tax_figures_grow_with_headcount(feeds, per_unit):
    tax = feeds["tax"].filter(pl.col("year") == str(Y)).join(per_unit, on="uscc").with_columns(
        pl.col("revenue").cast(pl.Float64), pl.col("total_assets").cast(pl.Float64))
    big = tax.filter(pl.col("mean_insured") >= 100).get_column("revenue").median()
    small = tax.filter(pl.col("mean_insured") <= 5).get_column("revenue").median()
    assert big > 10 * small
    assert tax.select(pl.corr(pl.col("revenue").log1p(), pl.col("total_assets").log1p())
                      ).item() > 0.5


def test_fraud_signals_are_planted_and_listed(city, feeds, contributions):
    units = feeds["units"]
    signals = pl.read_csv(city / ".answers" / "signals.csv", infer_schema=False)
    listed = dict(signals.get_column("signal").value_counts().iter_rows())
    assert set(listed) == {"shared_bank_account", "agent_phone", "serial_legal_rep", "q4_jump",
                           "young_large_base"}
    accounts = units.get_column("bank_account").drop_nulls().value_counts()
    assert accounts.filter(pl.col("count") >= 2).height >= 20
    assert units.get_column("contact_phone").value_counts().get_column("count").max() >= 20
    assert units.get_column("legal_rep_id").drop_nulls().value_counts().get_column(
        "count").max() >= 5
    jumps = signals.filter(pl.col("signal") == "q4_jump").get_column("uscc")
    q4 = contributions.filter(pl.col("uscc").is_in(jumps.implode())).pivot(
        on="month", index="uscc", values="insured")
    assert (q4.get_column(f"{Y}-10") > 1.3 * q4.get_column(f"{Y}-09")).all()
    young = signals.filter(pl.col("signal") == "young_large_base").get_column("uscc")
    young_units = units.filter(pl.col("uscc").is_in(young.implode()))
    assert young_units.get_column("registered_on").str.starts_with(f"{Y}-").all()
    assert contributions.filter(pl.col("uscc").is_in(young.implode())).get_column(
        "insured").min() >= 50
