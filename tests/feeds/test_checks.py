"""The column-wide SQL checks agree with the one-at-a-time rules of ``wengang.core``."""

import re
from datetime import date
from decimal import Decimal

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wengang.core.errors import IdentifierError
from wengang.core.ids import (
    USCC_ALPHABET,
    resident_id_check_char,
    uscc_check_char,
    validate_resident_id,
    validate_uscc,
)
from wengang.core.money import parse_yuan
from wengang.feeds import FEEDS
from wengang.feeds.checks import (
    check_sql,
    normalised_sql,
    query_parameters,
    resident_id_check_char_sql,
    uscc_check_char_sql,
    uscc_problem_sql,
)
from wengang.feeds.contract import Column, Kind

TODAY = date(2020, 4, 15)
_codes = st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17)
_digits = st.text(alphabet="0123456789", min_size=17, max_size=17)


def _column(values: list[str | None], expression: str, parameters: dict | None = None) -> list:
    with duckdb.connect() as connection:
        connection.execute("CREATE TABLE t (v VARCHAR, position INTEGER)")
        connection.executemany("INSERT INTO t VALUES (?, ?)",
                               [[value, i] for i, value in enumerate(values)])
        sql = f"SELECT {expression} FROM (SELECT v AS \"value\", position FROM t) ORDER BY position"
        named = set(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", sql))
        used = {k: v for k, v in (parameters or {}).items() if k in named}
        return [row[0] for row in connection.execute(sql, used).fetchall()]


@settings(max_examples=20, deadline=None)
@given(st.lists(_codes, min_size=1, max_size=200))
def test_the_sql_uscc_check_character_is_gb_32100(bodies):
    assert _column(bodies, uscc_check_char_sql('"value"')) == [uscc_check_char(b) for b in bodies]


@settings(max_examples=20, deadline=None)
@given(st.lists(_digits, min_size=1, max_size=200))
def test_the_sql_resident_id_check_character_is_gb_11643(bodies):
    assert _column(bodies, resident_id_check_char_sql('"value"')) == [
        resident_id_check_char(b) for b in bodies]


def _core_code(check, value: str) -> str | None:
    try:
        check(value)
    except IdentifierError as error:
        return error.code
    return None


_uscc_like = st.one_of(
    _codes.map(lambda body: body + uscc_check_char(body)),                       # valid
    st.tuples(_codes, st.sampled_from(USCC_ALPHABET)).map("".join),              # any check char
    st.text(alphabet=USCC_ALPHABET + "IOZSVa-", min_size=16, max_size=19),       # malformed
)


@settings(max_examples=20, deadline=None)
@given(st.lists(_uscc_like, min_size=1, max_size=100))
def test_uscc_problems_in_sql_match_core_ids(codes):
    expected = [_core_code(validate_uscc, code) for code in codes]
    assert _column(codes, uscc_problem_sql('"value"')) == expected


_resident_like = st.one_of(
    _digits.map(lambda body: body + resident_id_check_char(body)),
    st.builds(lambda place, born, serial: place + born.strftime("%Y%m%d") + serial,
              st.sampled_from(["360102", "110101", "440305"]),
              st.dates(date(1890, 1, 1), date(2030, 12, 31)),
              st.text(alphabet="0123456789X", min_size=4, max_size=4)),
    st.text(alphabet="0123456789Xx", min_size=17, max_size=19),
)


@settings(max_examples=20, deadline=None)
@given(st.lists(_resident_like, min_size=1, max_size=100))
def test_resident_id_problems_in_sql_match_core_ids(numbers):
    column = Column("value", Kind.RESIDENT_ID, "测试")
    expected = [_core_code(lambda n: validate_resident_id(n, today=TODAY), n) for n in numbers]
    assert _column(numbers, check_sql(column), query_parameters(TODAY)) == expected


@settings(max_examples=20, deadline=None)
@given(st.lists(st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2,
                            allow_nan=False), min_size=1, max_size=50))
def test_money_becomes_exact_fen(amounts):
    texts = [str(amount) for amount in amounts]
    column = Column("value", Kind.YUAN, "测试")
    assert _column(texts, check_sql(column)) == [None] * len(texts)
    assert _column(texts, normalised_sql(column, present=True)) == [parse_yuan(t) for t in texts]


@pytest.mark.parametrize(("kind", "value", "code"), [
    (Kind.YUAN, "0", None), (Kind.YUAN, "0.5", None), (Kind.YUAN, "00012.30", None),
    (Kind.YUAN, "12.", "money_format"), (Kind.YUAN, ".5", "money_format"),
    (Kind.YUAN, "+12", "money_format"), (Kind.YUAN, "1234567890123456", "money_format"),
    (Kind.YUAN, "-0.001", "money_negative"), (Kind.YUAN, "1.000", "money_decimals"),
    (Kind.COUNT, "0", None), (Kind.COUNT, "007", None), (Kind.COUNT, "1e3", "count_format"),
    (Kind.BOOL, "TRUE", None), (Kind.BOOL, "是", None), (Kind.BOOL, "否", None),
    (Kind.BOOL, "N", "bool_value"),
    (Kind.MONTH, "1899-12", "month_format"), (Kind.MONTH, "2019-00", "month_format"),
    (Kind.DATE, "2020-02-29", None), (Kind.DATE, "2019-02-29", "date_invalid"),
    (Kind.DATE, "2100-01-01", "date_invalid"), (Kind.DATE, "20190101", "date_format"),
    (Kind.INDUSTRY, "01", None), (Kind.INDUSTRY, "97", None), (Kind.INDUSTRY, "5211", None),
    (Kind.INDUSTRY, "9801", "industry_code"), (Kind.INDUSTRY, "A", "industry_code"),
    (Kind.INDUSTRY, "70", "industry_code"), (Kind.INDUSTRY, "7030", None),
    (Kind.PHONE, "19912345678", None), (Kind.PHONE, "+8613800138000", "phone_format"),
    (Kind.DIGITS, "0012", None), (Kind.DIGITS, "12 34", "digits_format"),
    (Kind.YEAR, "2019", None), (Kind.YEAR, "2019.5", "year_format"),
    (Kind.REGION, "360102", None), (Kind.REGION, "3601020", "region_code"),
])
def test_one_value_of_each_kind(kind, value, code):
    column = Column("value", kind, "测试")
    assert _column([value], check_sql(column), query_parameters(TODAY)) == [code]


def test_a_required_column_refuses_an_empty_cell_and_an_optional_one_does_not():
    assert _column([None], check_sql(Column("value", Kind.TEXT, "测试"))) == ["value_missing"]
    assert _column([None], check_sql(Column("value", Kind.DATE, "测试", required=False)),
                   query_parameters(TODAY)) == [None]


def test_the_contract_is_consistent():
    assert [name for name, feed in FEEDS.items() if feed.required] == [
        "units", "contributions", "registry"]
    for feed in FEEDS.values():
        names = feed.column_names
        assert len(set(names)) == len(names) and names[0] == feed.key[0]
        assert all(feed.column(name).required for name in feed.key)
        assert all(earlier in names and later in names for earlier, later in feed.ordered)
        for column in feed.columns:
            assert (column.kind is Kind.ENUM) == bool(column.values)
            assert column.normalised_name.endswith("_fen") == (column.kind is Kind.YUAN)
