"""The explanation formats: the cheaper integer form prints printf's bytes; each format shows
values as the policy guide says."""

import duckdb
import pytest

from wengang.policy.templates import format_sql, shown_sql

# printf's form: the contract the cheaper SQL must keep byte for byte.
PRINTF = {"int": "printf('%d', CAST(round(x) AS BIGINT))"}

# Ratios of small counts (layoff rates), fine steps, exact binary ties at the second decimal
# (0.125 % prints 0.12 %: ties go to even), negatives, -0.0, huge values, NaN, infinities.
VALUES_SQL = """
    SELECT a::DOUBLE / b AS x FROM range(0, 300) r1(a), range(1, 300) r2(b)
    UNION ALL SELECT -(a::DOUBLE / b) FROM range(0, 40) r1(a), range(1, 40) r2(b)
    UNION ALL SELECT k / 100000.0::DOUBLE FROM range(-20000, 120000) r(k)
    UNION ALL SELECT k / 80000.0::DOUBLE FROM range(-2000, 90000) r(k)
    UNION ALL SELECT ((hash(k) % 1000000)::BIGINT - 300000) * pow(10, (hash(k * 7) % 14)::INT - 14)
        FROM range(200000) r(k)
    UNION ALL SELECT * FROM (VALUES (-0.0::DOUBLE), ('nan'::DOUBLE), ('inf'::DOUBLE),
        ('-inf'::DOUBLE), (1e300), (0.00125), (0.00375), (1e7), (2.5), (NULL))
"""


@pytest.fixture(scope="module")
def values() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"CREATE TABLE v AS {VALUES_SQL}")
    # printf('%d', CAST(… AS BIGINT)) refuses NaN and huge values just as the cast does.
    con.execute("CREATE TABLE v_int AS SELECT x FROM v WHERE isfinite(x) AND abs(x) < 1e15")
    return con


@pytest.mark.parametrize("fmt", sorted(PRINTF))
@pytest.mark.parametrize("typed", [
    "x", "TRY_CAST(x AS FLOAT)", "TRY_CAST(x AS DECIMAL(18, 4))", "TRY_CAST(x AS DECIMAL(10, 3))",
    "TRY_CAST(round(x * 1000) AS INTEGER)", "TRY_CAST(round(x * 1000) AS BIGINT) / 1000",
])
def test_a_format_prints_the_bytes_printf_printed(values, fmt, typed):
    reference = PRINTF[fmt].replace("(x)", f"({typed})").replace("round(x)", f"round({typed})")
    differ = values.execute(f"""
        SELECT count(*), any_value(x)
        FROM (SELECT x, {format_sql(typed, fmt)} AS new, {reference} AS old
              FROM {"v_int" if fmt == "int" else "v"})
        WHERE new IS DISTINCT FROM old""").fetchone()
    assert differ == (0, None)


@pytest.mark.parametrize(("fmt", "value", "shown"), [
    ("pct", "0.055", "5.5%"), ("pct", "1.0", "100%"), ("pct", "0.2", "20%"),
    ("pct", "0.00125::DOUBLE", "0.12%"), ("pct2", "0", "0.00%"), ("pct2", "0.055", "5.50%"),
    ("pct2", "-0.0::DOUBLE", "-0.00%"), ("pct2", "'nan'::DOUBLE", "nan%"),
    ("int", "27", "27"), ("int", "26.5::DOUBLE", "27"), ("yuan", "696528", "6,965.28"),
])
def test_a_format_shows_a_value_as_the_policy_guide_says(fmt, value, shown):
    assert duckdb.connect().execute(f"SELECT {format_sql(value, fmt)}").fetchone()[0] == shown


# Derived values over parameters: a CASE whose results are constants, some with NULL conditions
# and one without ELSE (NULL when no condition holds).
CONSTANT_CASES = [
    "(CASE WHEN b <= 30 THEN 0.20 WHEN s IN ('large', 'unknown') THEN 0.055 ELSE 0.055 END)",
    "(CASE WHEN s IN ('large', 'unknown') THEN 0.5 ELSE 1.0 END)",
    "CASE WHEN b > 40 THEN 0.125 WHEN b > 20 THEN 1 / 3 WHEN s = 'small' THEN 0.00375 END",
    "CASE WHEN b > 10 THEN 158500 * 6 ELSE 2 END",
]


@pytest.mark.parametrize("fmt", ["pct", "pct2", "yuan", "int", ""])
@pytest.mark.parametrize("value", CONSTANT_CASES)
def test_a_case_of_constants_is_shown_branch_by_branch_with_the_same_bytes(fmt, value):
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT CASE WHEN r % 7 = 0 THEN NULL ELSE r % 50 END AS b, "
                "['large', 'unknown', 'small', NULL][1 + r % 4] AS s FROM range(2000) t(r)")
    differ = con.execute(f"""
        SELECT count(*) FROM t
        WHERE ({shown_sql(value, fmt)}) IS DISTINCT FROM ({format_sql(value, fmt)})""").fetchone()
    assert differ == (0,)
    assert shown_sql(value, fmt) != format_sql(value, fmt)  # the branch-by-branch form was used


@pytest.mark.parametrize("value", [
    "f.layoff_rate", "(CASE WHEN b > 1 THEN f.x ELSE 0.5 END)",
    "(CASE s WHEN 'a' THEN 1 ELSE 2 END)", "0.055",
])
def test_any_other_value_is_formatted_as_it_is(value):
    assert shown_sql(value, "pct") == format_sql(value, "pct")
