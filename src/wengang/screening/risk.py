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


SHARING = {"accounts": "bank_account", "phones": "contact_phone", "reps": "legal_rep_id"}
"""What units may share, by the table counting it: ``wg_shared_<name>`` (see ``sharing_sql``)."""


def sharing_sql() -> list[str]:
    """Statements counting, over every unit of the region screened, the accounts, phones and
    legal representatives that several units share (``$region_prefix``).

    Counted once per run over the whole population, so a run screened in slices of units
    flags exactly what one pass would. Only values held by two units or more are kept: the
    tables stay small, and a unit missing from them holds its value alone.
    """
    return [f"""
    CREATE OR REPLACE TEMP TABLE wg_shared_{name} AS
    SELECT {column}, count(*) AS n FROM units
    WHERE region_code LIKE $region_prefix AND {column} IS NOT NULL
    GROUP BY {column} HAVING count(*) > 1
    """ for name, column in SHARING.items()]


def risk_sql(table: str, *, features: str, thresholds: RiskThresholds = DEFAULT_THRESHOLDS) -> str:
    """Create ``table``, per unit of ``features``: ``risk`` (ids joined by ``;``, sorted) and
    ``risk_reasons`` (Chinese). Sharing comes from the tables of ``sharing_sql``."""
    t = thresholds
    return f"""
    CREATE OR REPLACE TEMP TABLE {table} AS
    WITH counted AS (
        SELECT f.uscc, f.year_end_insured, f.q3_end_insured, f.premium_base_fen, f.registered_on,
            CASE WHEN f.bank_account IS NULL THEN 0 ELSE coalesce(a.n, 1) END AS account_units,
            CASE WHEN f.contact_phone IS NULL THEN 0 ELSE coalesce(p.n, 1) END AS phone_units,
            CASE WHEN f.legal_rep_id IS NULL THEN 0 ELSE coalesce(r.n, 1) END AS rep_units
        FROM {features} f
        LEFT JOIN wg_shared_accounts a USING (bank_account)
        LEFT JOIN wg_shared_phones p USING (contact_phone)
        LEFT JOIN wg_shared_reps r USING (legal_rep_id)
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
