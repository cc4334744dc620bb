"""Risk flags: signals for reviewers, computed in the same pass; they never change eligibility.

Each flag has a stable id and a Chinese reason. Thresholds are keyword options with the
defaults below; a city tunes them in its screening settings.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class RiskThresholds:
    shared_account_units: int = 3        # one bank account receiving for this many units or more
    shared_phone_units: int = 5          # one contact phone on this many units or more
    legal_rep_units: int = 5             # one legal representative on this many units or more
    q4_jump_ratio: float = 0.30          # insured grew by more than this from September to December
    q4_jump_min_base: int = 10           # …from at least this many insured (3 → 4 is not a signal)
    young_unit_months: int = 18          # registered fewer than this many months before as_of
    young_unit_base_fen: int = 5_000_000  # …with a premium base of at least 50,000 yuan


DEFAULT_THRESHOLDS = RiskThresholds()

RISK_IDS = ("shared_bank_account", "shared_phone", "legal_rep_many_units", "headcount_jump_q4",
            "young_unit_large_base")


def risk_sql(table: str, *, features: str, thresholds: RiskThresholds = DEFAULT_THRESHOLDS) -> str:
    """Create ``table``, per unit of ``features``: ``risk`` (ids joined by ``;``, sorted) and
    ``risk_reasons`` (Chinese). Sharing is counted by grouping, then joined back to each unit."""
    t = thresholds
    return f"""
    CREATE OR REPLACE TEMP TABLE {table} AS
    WITH accounts AS (
        SELECT bank_account, count(*) AS n FROM {features} WHERE bank_account IS NOT NULL GROUP BY ALL
    ),
    phones AS (
        SELECT contact_phone, count(*) AS n FROM {features} WHERE contact_phone IS NOT NULL GROUP BY ALL
    ),
    reps AS (
        SELECT legal_rep_id, count(*) AS n FROM {features} WHERE legal_rep_id IS NOT NULL GROUP BY ALL
    ),
    counted AS (
        SELECT f.uscc, f.year_end_insured, f.q3_end_insured, f.premium_base_fen, f.registered_on,
            coalesce(a.n, 0) AS account_units, coalesce(p.n, 0) AS phone_units,
            coalesce(r.n, 0) AS rep_units
        FROM {features} f
        LEFT JOIN accounts a USING (bank_account)
        LEFT JOIN phones p USING (contact_phone)
        LEFT JOIN reps r USING (legal_rep_id)
    ),
    flagged AS (
        SELECT uscc,
            account_units >= {t.shared_account_units} AS shared_bank_account,
            phone_units >= {t.shared_phone_units} AS shared_phone,
            rep_units >= {t.legal_rep_units} AS legal_rep_many_units,
            coalesce(q3_end_insured >= {t.q4_jump_min_base}
                     AND year_end_insured > q3_end_insured * (1 + {t.q4_jump_ratio}), false)
                AS headcount_jump_q4,
            coalesce(registered_on > $as_of - INTERVAL {t.young_unit_months} MONTH
                     AND premium_base_fen >= {t.young_unit_base_fen}, false) AS young_unit_large_base,
            account_units, phone_units, rep_units, q3_end_insured, year_end_insured, registered_on
        FROM counted
    )
    SELECT uscc,
        concat_ws(';',
            CASE WHEN headcount_jump_q4 THEN 'headcount_jump_q4' END,
            CASE WHEN legal_rep_many_units THEN 'legal_rep_many_units' END,
            CASE WHEN shared_bank_account THEN 'shared_bank_account' END,
            CASE WHEN shared_phone THEN 'shared_phone' END,
            CASE WHEN young_unit_large_base THEN 'young_unit_large_base' END) AS risk,
        concat_ws('；',
            CASE WHEN shared_bank_account THEN '银行账户与其他 ' || (account_units - 1) || ' 家单位共用' END,
            CASE WHEN shared_phone THEN '联系电话与其他 ' || (phone_units - 1) || ' 家单位相同' END,
            CASE WHEN legal_rep_many_units THEN '法定代表人同时担任 ' || rep_units || ' 家单位的法定代表人' END,
            CASE WHEN headcount_jump_q4 THEN '第四季度参保人数由 ' || q3_end_insured || ' 人增至 '
                 || year_end_insured || ' 人（增幅超过 {round(t.q4_jump_ratio * 100)}%）' END,
            CASE WHEN young_unit_large_base THEN '成立不足 {t.young_unit_months} 个月（' || registered_on
                 || ' 登记）而缴费基数较大' END) AS risk_reasons
    FROM flagged
    """
