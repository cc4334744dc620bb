"""Features of persons' training records, as DuckDB SQL (docs/training.md).

One query per subject (``policy/subjects.py``), one row per record: a course completion, a skill
certificate, a person-month on an on-the-job training roster. Each row carries the keys of the
result (``resident_id``, ``record``, ``uscc``), the subject's features and what its limit needs
(``limit_date``; ties go by ``record``), sorted by person and record: the order of the result.
Values are bound (``$as_of``, ``$region_prefix``); no other value is interpolated. Records
dated after the screening date did not exist then and are left out. Duplicates are found by
grouping (a hash aggregate), not by sorting every row. A query keeps only the columns its
programs read (``columns``): sorting ten million rows moves every column kept.
"""

from collections.abc import Collection

KEY_COLUMNS = ("resident_id", "record", "uscc", "person_key", "region_code")
"""What every features query keeps, whatever its programs read: the result's keys and order
(``limit_date`` too, where a program's limit reads it)."""

SUBJECT_FEEDS = {
    "course_completion": ("trainees", "course_completions"),
    "certificate": ("trainees", "certificates"),
    "roster_month": ("trainees", "training_rosters", "units", "contributions", "registry"),
}
"""The feeds a subject's screening cannot do without."""

PAID_KIND = {"course_completion": "online_training", "certificate": "skill_certificate",
             "roster_month": "on_the_job"}
"""The ``paid_subsidies.subsidy`` that records earlier payments of a subject."""


_ORDER = " ORDER BY person_key, record"
"""The order of a features query (``ordered``): the result's, unless its program sorts anyway."""


def _kept(columns: Collection[str] | None) -> str:
    """The projection of a features query: the keys and ``columns`` (default: every column)."""
    if columns is None:
        return "*"
    return ", ".join(dict.fromkeys((*KEY_COLUMNS, *columns)))


def _person_sql(alias: str) -> str:
    """The person features every subject shares, from ``trainees`` as ``alias``.

    ``person_key``: the ID's first 17 digits as an integer (the 18th is their check digit), so
    results sort by person as by the ID's text, on a cheap integer key.
    """
    return (f"CAST(left({alias}.resident_id, 17) AS BIGINT) AS person_key, "
            f"{alias}.region_code, {alias}.insured, {alias}.insured_months, "
            f"{alias}.si_card_account IS NOT NULL AS has_card_account")


def course_completion_sql(columns: Collection[str] | None = None, *, ordered: bool = True) -> str:
    """One row per completion; ``earlier_platform``: where the same person finished the same
    course first (by date, then platform name) when this row is not that first completion."""
    return f"""
    SELECT {_kept(columns)} FROM (
    WITH c AS (
        SELECT * FROM course_completions WHERE completed_on <= $as_of),
    -- Most pairs of person and course occur once: find the few repeated ones by a 64-bit hash
    -- (cheap to group), then settle them on their real values.
    suspects AS (
        SELECT hash(resident_id, course_id) AS h FROM c GROUP BY h HAVING count(*) > 1),
    repeated AS (
        SELECT resident_id, course_id,
               arg_min(platform, strftime(completed_on, '%Y-%m-%d') || platform) AS first_platform,
               min(strftime(completed_on, '%Y-%m-%d') || platform) AS first_key
        FROM c SEMI JOIN suspects s ON hash(c.resident_id, c.course_id) = s.h
        GROUP BY resident_id, course_id HAVING count(*) > 1),
    paid AS (
        SELECT DISTINCT resident_id, reference AS course_id FROM paid_subsidies
        WHERE subsidy = 'online_training')
    SELECT
        c.resident_id,
        c.platform || '/' || c.course_id                          AS record,
        CAST(NULL AS VARCHAR)                                      AS uscc,
        {_person_sql('t')},
        c.platform, c.course_id, c.occupation_code, c.hours, c.completed_on,
        strftime(c.completed_on, '%Y')                             AS completed_year,
        c.certificate_id IS NOT NULL                               AS has_training_certificate,
        -- The key is built only for the few repeated pairs (a CASE tests its WHEN in order).
        CASE WHEN r.first_key IS NOT NULL
              AND strftime(c.completed_on, '%Y-%m-%d') || c.platform <> r.first_key
             THEN r.first_platform END                             AS earlier_platform,
        p.course_id IS NOT NULL                                    AS paid_before,
        c.completed_on                                             AS limit_date
    FROM c
    JOIN trainees t USING (resident_id)
    LEFT JOIN repeated r ON r.resident_id = c.resident_id AND r.course_id = c.course_id
    LEFT JOIN paid p ON p.resident_id = c.resident_id AND p.course_id = c.course_id
    WHERE t.region_code LIKE $region_prefix
    ){_ORDER if ordered else ''}
    """


def certificate_sql(columns: Collection[str] | None = None, *, ordered: bool = True) -> str:
    """One row per certificate; ``earlier_same_level``: the first certificate (by issue date,
    then id) of the same person, occupation and level, when this row is not that first one;
    ``paid_before``: this certificate is in the ledger of paid subsidies (anyone's)."""
    return f"""
    SELECT {_kept(columns)} FROM (
    WITH c AS (
        SELECT * FROM certificates WHERE issued_on <= $as_of),
    repeated AS (
        SELECT resident_id, occupation_code, level,
               arg_min(certificate_id, strftime(issued_on, '%Y-%m-%d') || certificate_id)
                                                                   AS first_id
        FROM c GROUP BY ALL HAVING count(*) > 1),
    paid AS (
        SELECT DISTINCT reference AS certificate_id FROM paid_subsidies
        WHERE subsidy = 'skill_certificate')
    SELECT
        c.resident_id,
        c.certificate_id                                           AS record,
        CAST(NULL AS VARCHAR)                                      AS uscc,
        {_person_sql('t')},
        c.certificate_id,
        CAST(c.level AS INTEGER)                                   AS level,
        c.occupation_code, c.issued_on,
        strftime(c.issued_on, '%Y')                                AS issued_year,
        (year($as_of) * 12 + month($as_of)) - (year(c.issued_on) * 12 + month(c.issued_on))
            - CASE WHEN day($as_of) < day(c.issued_on) THEN 1 ELSE 0 END AS months_since_issued,
        p.certificate_id IS NOT NULL                               AS paid_before,
        CASE WHEN r.first_id <> c.certificate_id THEN r.first_id END AS earlier_same_level,
        c.issued_on                                                AS limit_date
    FROM c
    JOIN trainees t USING (resident_id)
    LEFT JOIN repeated r USING (resident_id, occupation_code, level)
    LEFT JOIN paid p USING (certificate_id)
    WHERE t.region_code LIKE $region_prefix
    ){_ORDER if ordered else ''}
    """


def roster_month_sql(columns: Collection[str] | None = None, *, ordered: bool = True) -> str:
    """One row per unit × person × month on a roster, for the units of the region.

    ``unit_insured_in_month``: the unit has a contributions row for that month with people
    insured and premiums paid in full. ``other_unit``: the first unit (lowest code) rostering the
    same person that month, when it is another unit. Exclusions as in the refund, on ``as_of``.
    """
    return f"""
    SELECT {_kept(columns)} FROM (
    WITH r AS (
        SELECT * FROM training_rosters WHERE month <= strftime($as_of, '%Y-%m')),
    shared AS (
        SELECT resident_id, month, min(uscc) AS first_uscc
        FROM r GROUP BY ALL HAVING count(*) > 1),
    credit_listed AS (
        SELECT DISTINCT uscc FROM credit
        WHERE list = 'serious_dishonesty' AND listed_on <= $as_of
          AND (removed_on IS NULL OR removed_on > $as_of)),
    paid AS (
        SELECT DISTINCT resident_id, reference AS month FROM paid_subsidies
        WHERE subsidy = 'on_the_job')
    SELECT
        r.resident_id,
        r.uscc || '/' || r.month                                   AS record,
        r.uscc,
        {_person_sql('t')},
        u.unit_type,
        r.month,
        coalesce(k.insured > 0 AND k.due_fen > 0 AND k.paid_fen >= k.due_fen, false)
                                                                   AS unit_insured_in_month,
        cl.uscc IS NOT NULL                                        AS credit_listed,
        coalesce(g.status, 'missing')                              AS registry_status,
        CASE WHEN s.first_uscc <> r.uscc THEN s.first_uscc END     AS other_unit,
        p.month IS NOT NULL                                        AS paid_before,
        CAST(r.month || '-01' AS DATE)                             AS limit_date
    FROM r
    JOIN units u USING (uscc)
    JOIN trainees t USING (resident_id)
    LEFT JOIN contributions k ON k.uscc = r.uscc AND k.month = r.month
    LEFT JOIN registry g ON g.uscc = r.uscc
    LEFT JOIN credit_listed cl ON cl.uscc = r.uscc
    LEFT JOIN shared s ON s.resident_id = r.resident_id AND s.month = r.month
    LEFT JOIN paid p ON p.resident_id = r.resident_id AND p.month = r.month
    WHERE u.region_code LIKE $region_prefix
    ){_ORDER if ordered else ''}
    """


SUBJECT_SQL = {"course_completion": course_completion_sql, "certificate": certificate_sql,
               "roster_month": roster_month_sql}


def prior_payments_sql(subject: str) -> str:
    """Payments already made per person and calendar year for the subject's subsidy.

    The year is that of the paid record (the certificate's issue, the roster month, the
    course's completion) where the feeds know the record, else the year it was paid.
    """
    year = {
        "course_completion": "strftime(p.paid_on, '%Y')",
        "certificate": ("coalesce((SELECT strftime(c.issued_on, '%Y') FROM certificates c "
                        "WHERE c.certificate_id = p.reference), strftime(p.paid_on, '%Y'))"),
        "roster_month": "left(p.reference, 4)",
    }[subject]
    return (f"SELECT p.resident_id, {year} AS year, count(*) AS paid FROM paid_subsidies p "
            f"WHERE p.subsidy = '{PAID_KIND[subject]}' GROUP BY ALL")
