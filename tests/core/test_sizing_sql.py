"""The SQL size classifier agrees with the Python one, and both behave like three-valued logic.

The SQL runs in an in-memory DuckDB over tiny literal tables; hypothesis draws values at, near
and far from every bound of the shipped standard, with missing values (NULL / None) mixed in.
"""

import random
from decimal import Decimal

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wengang.core.sizing import (
    Size,
    SizeInputError,
    classify_size,
    default_size_standard,
    size_class_sql,
)

STANDARD = default_size_standard()
BOUNDS = sorted(
    {
        bound
        for row in STANDARD.industries
        for test in (row.sme_if_any_below, row.medium_if_all_at_least,
                     row.small_if_all_at_least, row.micro_if_any_below)
        for bound in test.values()
    }
)
INDUSTRY_CODES = sorted({code for row in STANDARD.industries for code in row.divisions}) + [
    "70", "7030", "7090", "1311", "0511", "6510", "00", "99", "ab", "7", "701", "70100", "",
    # classes at both ends of a run of divisions (the SQL compares ranges of text)
    "0099", "0100", "0599", "0600", "4699", "4700", "5099", "5100", "5899", "5900", "6499",
    "6500", "6599", "6600", "7100", "7299", "7300", "9999", "0a", "1a11", "13 ", " 13", "46a",
]
EXACT = {Size.LARGE, Size.MEDIUM, Size.SMALL, Size.MICRO}
ORDER = [Size.MICRO, Size.SMALL, Size.MEDIUM, Size.LARGE]

near_a_bound = st.sampled_from(BOUNDS).flatmap(
    lambda bound: st.sampled_from([bound, bound - 1, bound + 1, bound - 0.5, bound + 0.5,
                                   bound - 1e-6, bound + 1e-6])
)
known_value = st.one_of(
    near_a_bound,
    st.integers(min_value=0, max_value=300_000),
    st.floats(min_value=0, max_value=300_000, allow_nan=False),
)
maybe_value = st.one_of(st.none(), known_value)
industry_code = st.one_of(st.none(), st.sampled_from(INDUSTRY_CODES))
unit = st.tuples(industry_code, maybe_value, maybe_value, maybe_value)


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


DOUBLE = pa.float64()


def sql_sizes(con, rows, *, numeric_type=DOUBLE):
    """Run the SQL classifier over literal rows; return one class per row, in order."""
    columns = list(zip(*rows)) if rows else [[], [], [], []]
    sample = pa.table(  # noqa: F841 - DuckDB finds the Arrow table by its variable name
        {
            "position": pa.array(range(len(rows)), pa.int64()),
            "industry_code": pa.array(columns[0], pa.string()),
            "employees": pa.array(columns[1], numeric_type),
            "revenue_10k": pa.array(columns[2], numeric_type),
            "total_assets_10k": pa.array(columns[3], numeric_type),
        }
    )
    query = f"SELECT {size_class_sql('sample')} FROM sample ORDER BY position"
    return [Size(value) for (value,) in con.execute(query).fetchall()]


# Each example is one query over many rows: DuckDB takes 40–150 ms to plan the expression.
@settings(max_examples=20, deadline=None)
@given(st.lists(unit, min_size=20, max_size=200))
def test_sql_and_python_agree_on_random_units(con, rows):
    assert sql_sizes(con, rows) == [classify_size(*row) for row in rows]


def test_sql_and_python_agree_on_fifty_thousand_seeded_units(con):
    """A broad sweep in one query: every code, every bound ±, missing values, a fixed seed."""
    rng = random.Random(2011)
    edges = [None, 0] + [b + delta for b in BOUNDS for delta in (-1, -0.5, 0, 0.5)]
    codes = [None, *INDUSTRY_CODES]

    def value():
        return rng.choice(edges) if rng.random() < 0.8 else rng.uniform(0, 300_000)

    rows = [(rng.choice(codes), value(), value(), value()) for _ in range(50_000)]
    python = [classify_size(*row) for row in rows]
    assert sql_sizes(con, rows) == python
    assert set(python) == set(Size)  # the sweep reached every class


decimal_value = st.one_of(
    st.none(),
    st.decimals(min_value=0, max_value=300_000, places=4, allow_nan=False),
    st.sampled_from(BOUNDS).map(Decimal),
    st.sampled_from(BOUNDS).map(lambda bound: bound - Decimal("0.0001")),
)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(industry_code, decimal_value, decimal_value, decimal_value),
                min_size=1, max_size=150))
def test_sql_and_python_agree_on_decimal_columns(con, rows):
    assert sql_sizes(con, rows, numeric_type=pa.decimal128(18, 4)) == [
        classify_size(*row) for row in rows
    ]


def test_sql_on_a_literal_table_worked_by_hand(con):
    rows = [
        ("13", 500, 5000, None),  # industry: SME by headcount, both medium bounds → medium
        ("13", None, 50000, None),  # headcount unknown, revenue above the SME bound → unknown
        ("13", 10, None, None),  # 10 employees → micro, whatever the revenue
        ("7010", None, 300000, None),  # real estate without assets → unknown
        ("72", 200, None, None),  # business services: SME, class needs assets → sme
        ("80", 300, None, None),  # other industry at the SME bound → large
        (None, 5, 10, 10),  # no industry: every row says micro
    ]
    assert sql_sizes(con, rows) == [Size.MEDIUM, Size.UNKNOWN, Size.MICRO, Size.UNKNOWN,
                                    Size.SME, Size.LARGE, Size.MICRO]


def test_sql_works_on_integer_columns_and_without_a_table_qualifier(con):
    con.execute("CREATE OR REPLACE TEMP TABLE units (ind VARCHAR, staff BIGINT, rev BIGINT, "
                "assets BIGINT)")
    con.execute("INSERT INTO units VALUES ('52', 9, 1000, NULL), ('52', 300, 20000, NULL)")
    expression = size_class_sql(None, industry="ind", employees="staff", revenue="rev",
                                assets="assets")
    result = con.execute(f"SELECT {expression} FROM units ORDER BY staff").fetchall()
    assert result == [("micro",), ("large",)]


@pytest.mark.parametrize(
    "name", ["industry_code; DROP TABLE units", 'x"y', "1abc", "", "a b", "名称", "a" * 64]
)
def test_only_plain_identifiers_reach_the_sql(name):
    with pytest.raises(SizeInputError):
        size_class_sql("units", industry=name)
    with pytest.raises(SizeInputError):
        size_class_sql(name)


# --- properties of the three-valued classifier --------------------------------------------

full_unit = st.tuples(st.sampled_from([c for c in INDUSTRY_CODES if c not in ("", "70")]),
                      known_value, known_value, known_value)


@settings(max_examples=200, deadline=None)
@given(full_unit)
def test_complete_data_always_decides_an_exact_class(row):
    assert classify_size(*row) in EXACT


@settings(max_examples=200, deadline=None)
@given(full_unit, st.lists(st.booleans(), min_size=4, max_size=4))
def test_adding_missing_information_never_changes_a_decided_class(row, hide):
    industry, *values = row
    partial_industry = None if hide[0] else (
        "70" if industry.startswith("70") and len(industry) == 4 else industry
    )
    partial_values = [None if hidden else value for hidden, value in zip(hide[1:], values)]
    partial = classify_size(partial_industry, *partial_values)
    complete = classify_size(industry, *values)
    if partial.is_decided:
        assert complete == partial
    elif partial == Size.SME:
        assert complete in {Size.MEDIUM, Size.SMALL, Size.MICRO}


@settings(max_examples=200, deadline=None)
@given(full_unit, st.sampled_from([1, 2, 3]), known_value)
def test_a_bigger_number_never_gives_a_smaller_class(row, position, extra):
    bigger = list(row)
    bigger[position] = bigger[position] + extra
    assert ORDER.index(classify_size(*bigger)) >= ORDER.index(classify_size(*row))
