"""Per-unit features over the feed tables, as DuckDB SQL (FEEDS.md, reference interpretation).

Each ``..._sql`` function returns one SQL statement from explicit inputs; values are bound as
parameters (``$as_of`` …), and only the table names defined in ``inputs.py`` are interpolated.
The features table has one row per unit and every column named in ``policy/features.py``.
"""

from collections.abc import Collection
from datetime import date

from wengang.core.sizing import size_class_sql


def feature_parameters(*, assessment_year: int, as_of: date) -> dict[str, object]:
    """The bound values every features statement uses."""
    y = assessment_year
    return {
        "baseline_month": f"{y - 1}-12",
        "first_month": f"{y}-01",
        "last_month": f"{y}-12",
        "q3_end_month": f"{y}-09",
        "as_of_month": as_of.strftime("%Y-%m"),
        "year_start": date(y, 1, 1),
        "year_end": date(y, 12, 31),
        "as_of": as_of,
        "assessment_year": y,
    }


def contribution_features_sql() -> str:
    """Months paid in full, arrears, headcounts and the premium base, per unit.

    - paid in full: a month of Y with due > 0 and paid ≥ due;
    - arrears: any month from the unit's first row up to the month of as_of with paid < due;
    - baseline: insured in December Y-1, else in the first month of Y present;
    - premium base: Σ over months of Y of min(paid, due) (late fines are not in the feed).
    """
    # CASE inside the aggregates rather than FILTER clauses: the same values, and each filtered
    # aggregate would slice the 16 million rows again (about a fifth of this step's time).
    return """
    SELECT
        uscc,
        count(CASE WHEN in_year AND due_fen > 0 AND paid_fen >= due_fen THEN 1 END)
                                                                               AS months_paid_in_full,
        count(CASE WHEN month <= $as_of_month AND paid_fen < due_fen THEN 1 END) AS arrears_months,
        coalesce(any_value(CASE WHEN month = $baseline_month THEN insured END),
                 arg_min(insured, CASE WHEN in_year THEN month END),
                 0)                                                            AS baseline_insured,
        coalesce(any_value(CASE WHEN month = $last_month THEN insured END), 0) AS year_end_insured,
        any_value(CASE WHEN month = $q3_end_month THEN insured END)            AS q3_end_insured,
        avg(CASE WHEN in_year THEN insured END)                                AS mean_insured,
        coalesce(sum(CASE WHEN in_year THEN least(paid_fen, due_fen) END), 0)  AS premium_base_fen,
        coalesce(sum(CASE WHEN in_year THEN due_fen END), 0)                   AS due_total_fen
    FROM (SELECT *, month BETWEEN $first_month AND $last_month AS in_year FROM contributions)
    GROUP BY uscc
    """


UNIT_COLUMNS = ("uscc", "unit_type", "industry_code", "region_code", "registered_on",
                "is_labour_dispatch", "bank_account", "si_account", "contact_phone", "legal_rep_id",
                "legal_rep_name")
"""The columns of the units feed that screening reads (features, risk flags, slicing)."""

SEPARATION_FEATURES = frozenset({"layoff_rate_layoff_separations", "layoff_rate_benefit_claimants"})
"""The features computed from the separations feed."""


def feeds_read(has: frozenset[str], needed: Collection[str] | None) -> frozenset[str]:
    """The present feeds a run reads, when its programs read only the features ``needed``
    (``None``: all): the separations feed, the largest optional one, only for its features."""
    if needed is not None and SEPARATION_FEATURES.isdisjoint(needed):
        return has - {"separations"}
    return has


def features_sql(table: str, *, has: frozenset[str], needed: Collection[str] | None = None) -> str:
    """Create ``table`` with every feature per unit; ``has`` names the optional feeds present.

    A missing optional feed means "this department reported nothing" (FEEDS.md), so its
    features take their empty value rather than unknown. ``needed`` names the features the
    run's programs read (default: all); a feed none of them comes from is not read
    (``feeds_read``), and its features are NULL.
    """
    unread, has = has - feeds_read(has, needed), feeds_read(has, needed)
    separations = """
        SELECT uscc,
               count(*) FILTER (WHERE reason = 'layoff')  AS layoff_separations,
               count(*) FILTER (WHERE claims_benefit)     AS benefit_claimants
        FROM separations WHERE separated_on BETWEEN $year_start AND $year_end GROUP BY uscc
    """ if "separations" in has else (
        "SELECT NULL::VARCHAR AS uscc, 0 AS layoff_separations, 0 AS benefit_claimants LIMIT 0")
    tax = """
        SELECT uscc, revenue_fen / 1000000.0 AS revenue_10k, total_assets_fen / 1000000.0 AS total_assets_10k
        FROM tax WHERE year = $assessment_year
    """ if "tax" in has else (
        "SELECT NULL::VARCHAR AS uscc, NULL::DOUBLE AS revenue_10k, NULL::DOUBLE AS total_assets_10k LIMIT 0")
    credit = """
        SELECT DISTINCT uscc FROM credit
        WHERE list = 'serious_dishonesty' AND listed_on <= $as_of
          AND (removed_on IS NULL OR removed_on > $as_of)
    """ if "credit" in has else "SELECT NULL::VARCHAR AS uscc LIMIT 0"
    environment = """
        SELECT DISTINCT uscc FROM environment
        WHERE severity = 'major' AND penalty_on BETWEEN $year_start AND $as_of
    """ if "environment" in has else "SELECT NULL::VARCHAR AS uscc LIMIT 0"
    difficulty = """
        SELECT DISTINCT uscc FROM difficulty
        WHERE valid_from <= $as_of AND (valid_to IS NULL OR $as_of <= valid_to)
    """ if "difficulty" in has else "SELECT NULL::VARCHAR AS uscc LIMIT 0"
    separation_rates = """NULL::DOUBLE AS layoff_rate_layoff_separations,
        NULL::DOUBLE AS layoff_rate_benefit_claimants""" if "separations" in unread else """
        CASE WHEN coalesce(c.baseline_insured, 0) > 0
             THEN coalesce(s.layoff_separations, 0) / c.baseline_insured
             ELSE 0 END                                              AS layoff_rate_layoff_separations,
        CASE WHEN coalesce(c.mean_insured, 0) > 0
             THEN coalesce(s.benefit_claimants, 0) / c.mean_insured
             ELSE 0 END                                              AS layoff_rate_benefit_claimants"""
    size = size_class_sql("base", industry="industry_code", employees="mean_insured",
                          revenue="revenue_10k", assets="total_assets_10k")
    return f"""
    CREATE OR REPLACE TEMP TABLE {table} AS
    WITH c AS ({contribution_features_sql()}),
         s AS ({separations}),
         t AS ({tax}),
         cr AS ({credit}),
         env AS ({environment}),
         d AS ({difficulty}),
    base AS (
    SELECT
        u.uscc,
        u.unit_type,
        u.industry_code,
        left(u.industry_code, 2)                                     AS industry_division,
        u.region_code,
        u.registered_on,
        u.is_labour_dispatch,  -- missing stays unknown: no automatic route on a guess
        (u.bank_account IS NOT NULL OR u.si_account IS NOT NULL)     AS has_account,
        u.bank_account, u.contact_phone, u.legal_rep_id, u.legal_rep_name,
        coalesce(c.months_paid_in_full, 0)                           AS months_paid_in_full,
        coalesce(c.arrears_months, 0)                                AS arrears_months,
        coalesce(c.baseline_insured, 0)                              AS baseline_insured,
        coalesce(c.year_end_insured, 0)                              AS year_end_insured,
        c.q3_end_insured,
        c.mean_insured,  -- no month of Y: unknown, so size is not guessed from zero
        coalesce(c.premium_base_fen, 0)                              AS premium_base_fen,
        coalesce(c.due_total_fen, 0)                                 AS due_total_fen,
        CASE WHEN coalesce(c.baseline_insured, 0) > 0
             THEN greatest(0, c.baseline_insured - coalesce(c.year_end_insured, 0)) / c.baseline_insured
             ELSE 0 END                                              AS layoff_rate_net_headcount,
        {separation_rates},
        t.revenue_10k,
        t.total_assets_10k,
        cr.uscc IS NOT NULL                                          AS credit_listed,
        env.uscc IS NOT NULL                                         AS environment_major_penalty,
        coalesce(r.status, 'missing')                                AS registry_status,
        coalesce(r.abnormal, false)                                  AS is_abnormal,
        d.uscc IS NOT NULL                                           AS difficulty_certified
    FROM units u
    LEFT JOIN c   ON c.uscc = u.uscc
    LEFT JOIN s   ON s.uscc = u.uscc
    LEFT JOIN t   ON t.uscc = u.uscc
    LEFT JOIN cr  ON cr.uscc = u.uscc
    LEFT JOIN env ON env.uscc = u.uscc
    LEFT JOIN d   ON d.uscc = u.uscc
    LEFT JOIN registry r ON r.uscc = u.uscc
    WHERE u.region_code LIKE $region_prefix
    )
    SELECT base.*, {size} AS size FROM base
    """
