"""The explanation formats: the cheaper integer form prints printf's bytes; each format shows
values as the policy guide says."""

import duckdb
import pytest

from wengang.policy.templates import format_sql

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
