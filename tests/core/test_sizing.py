"""The size classifier of 工信部联企业〔2011〕300号, worked by hand, row by row.

Every expected class below was worked out from the text of the standard, not from our table
file: at each bound (a bound belongs to the class above it: "X及以上"), just below and just
above it, and with inputs missing. Employees may be fractional (a mean headcount); revenue and
assets are in 10k yuan.
"""

import textwrap
from decimal import Decimal
from fractions import Fraction

import pytest

from wengang.core.errors import SizingError
from wengang.core.sizing import (
    Size,
    SizeInputError,
    SizeTableError,
    classify_size,
    default_size_standard,
    join_sizes,
    load_size_standard,
    parse_size_standard,
)

L, M, S, MI = Size.LARGE, Size.MEDIUM, Size.SMALL, Size.MICRO
SME, UNK = Size.SME, Size.UNKNOWN
_ = None  # missing input


def case(industry, employees, revenue, assets, expected, why):
    return pytest.param(industry, employees, revenue, assets, expected, id=why)


HAND_WORKED = [
    # 农、林、牧、渔业 01–05: SME if revenue < 20000; medium ≥ 500; small ≥ 50; micro < 50.
    case("01", _, 20000, _, L, "agriculture revenue at the SME bound is large"),
    case("01", _, 19999.99, _, M, "agriculture revenue just below the SME bound is medium"),
    case("03", _, 20000.01, _, L, "agriculture revenue above the SME bound is large"),
    case("05", _, 500, _, M, "agriculture revenue at the medium bound is medium"),
    case("05", _, 499.99, _, S, "agriculture revenue just below medium is small"),
    case("02", _, 500.01, _, M, "agriculture revenue just above medium is medium"),
    case("01", _, 50, _, S, "agriculture revenue at the small bound is small"),
    case("01", _, 49.99, _, MI, "agriculture revenue just below small is micro"),
    case("04", _, 50.01, _, S, "agriculture revenue just above small is small"),
    case("01", 5000, 100, 90000, S, "agriculture ignores employees and assets"),
    case("01", 5000, _, 90000, UNK, "agriculture without revenue is unknown"),
    # 工业 06–46: SME if employees < 1000 or revenue < 40000; medium ≥ 300 and ≥ 2000;
    # small ≥ 20 and ≥ 300; micro if employees < 20 or revenue < 300.
    case("13", 1000, 40000, _, L, "industry at both SME bounds is large"),
    case("13", 999, 40000, _, M, "industry with employees just below the SME bound is an SME"),
    case("13", 1000, 39999.99, _, M, "industry with revenue just below the SME bound is an SME"),
    case("06", 1001, 40001, _, L, "mining above both SME bounds is large"),
    case("46", 999.5, 50000, _, M, "water supply with a fractional mean headcount below 1000"),
    case("13", 300, 2000, _, M, "industry at both medium bounds is medium"),
    case("13", 299.5, 2000, _, S, "industry with employees just below medium is small"),
    case("13", 300, 1999.99, _, S, "industry with revenue just below medium is small"),
    case("13", 301, 2001, _, M, "industry just above both medium bounds is medium"),
    case("13", 20, 300, _, S, "industry at both small bounds is small"),
    case("13", 19.9, 300, _, MI, "industry with employees just below small is micro"),
    case("13", 20, 299.99, _, MI, "industry with revenue just below small is micro"),
    case("13", 21, 301, _, S, "industry just above both small bounds is small"),
    case("13", 5000, 100, _, MI, "industry: large headcount but tiny revenue is micro"),
    case("13", _, 50000, _, UNK, "industry without employees and revenue above bound: unknown"),
    case("13", _, 39999, _, SME, "industry without employees but revenue below bound: sme"),
    case("13", 10, _, _, MI, "industry with 10 employees and no revenue is micro"),
    case("13", 500, _, _, SME, "industry with 500 employees and no revenue is an sme"),
    case("13", 1500, _, _, UNK, "industry with 1500 employees and no revenue is unknown"),
    case("13", _, 100, _, MI, "industry with revenue below 300 and no employees is micro"),
    case("13", _, _, _, UNK, "industry with nothing known is unknown"),
    # 建筑业 47–50: SME if revenue < 80000 or assets < 80000; medium ≥ 6000 and assets ≥ 5000;
    # small ≥ 300 and ≥ 300; micro if either < 300.
    case("47", _, 80000, 80000, L, "construction at both SME bounds is large"),
    case("48", _, 79999, 80000, M, "construction with revenue just below the SME bound"),
    case("50", _, 80000, 79999, M, "construction with assets just below the SME bound"),
    case("47", 1, 6000, 5000, M, "construction at both medium bounds is medium, any headcount"),
    case("47", _, 5999.99, 5000, S, "construction with revenue just below medium is small"),
    case("47", _, 6000, 4999.99, S, "construction with assets just below medium is small"),
    case("47", _, 300, 300, S, "construction at both small bounds is small"),
    case("47", _, 299.99, 300, MI, "construction with revenue just below small is micro"),
    case("47", _, 300, 299.99, MI, "construction with assets just below small is micro"),
    case("47", 99999, 90000, 90000, L, "construction ignores employees"),
    case("47", _, 90000, _, UNK, "construction without assets, revenue above bound: unknown"),
    case("47", _, 70000, _, SME, "construction without assets, revenue below bound: sme"),
    case("47", _, 200, _, MI, "construction without assets, revenue below 300: micro"),
    # 批发业 51: SME if employees < 200 or revenue < 40000; medium ≥ 20 and ≥ 5000;
    # small ≥ 5 and ≥ 1000.
    case("51", 200, 40000, _, L, "wholesale at both SME bounds is large"),
    case("51", 199, 40000, _, M, "wholesale with employees just below the SME bound"),
    case("51", 200, 39999, _, M, "wholesale with revenue just below the SME bound"),
    case("51", 20, 5000, _, M, "wholesale at both medium bounds is medium"),
    case("51", 19.5, 5000, _, S, "wholesale with employees just below medium is small"),
    case("51", 20, 4999, _, S, "wholesale with revenue just below medium is small"),
    case("51", 5, 1000, _, S, "wholesale at both small bounds is small"),
    case("51", 4.9, 1000, _, MI, "wholesale with employees just below small is micro"),
    case("51", 5, 999.99, _, MI, "wholesale with revenue just below small is micro"),
    case("51", 6, 1001, _, S, "wholesale just above both small bounds is small"),
    case("51", 100, _, _, SME, "wholesale with 100 employees and no revenue is an sme"),
    # 零售业 52: SME if employees < 300 or revenue < 20000; medium ≥ 50 and ≥ 500;
    # small ≥ 10 and ≥ 100.
    case("52", 300, 20000, _, L, "retail at both SME bounds is large"),
    case("52", 299, 20000, _, M, "retail with employees just below the SME bound"),
    case("52", 300, 19999, _, M, "retail with revenue just below the SME bound"),
    case("52", 50, 500, _, M, "retail at both medium bounds is medium"),
    case("52", 49, 500, _, S, "retail with employees just below medium is small"),
    case("52", 50, 499, _, S, "retail with revenue just below medium is small"),
    case("52", 10, 100, _, S, "retail at both small bounds is small"),
    case("52", 9, 100, _, MI, "retail with employees just below small is micro"),
    case("52", 10, 99, _, MI, "retail with revenue just below small is micro"),
    case("52", 400, _, _, UNK, "retail with 400 employees and no revenue is unknown"),
    # 交通运输业 53–58: SME if employees < 1000 or revenue < 30000; medium ≥ 300 and ≥ 3000;
    # small ≥ 20 and ≥ 200.
    case("53", 1000, 30000, _, L, "rail transport at both SME bounds is large"),
    case("58", 999, 30000, _, M, "transport agency with employees just below the SME bound"),
    case("54", 1000, 29999, _, M, "road transport with revenue just below the SME bound"),
    case("54", 300, 3000, _, M, "transport at both medium bounds is medium"),
    case("54", 299, 3000, _, S, "transport with employees just below medium is small"),
    case("54", 300, 2999, _, S, "transport with revenue just below medium is small"),
    case("55", 20, 200, _, S, "transport at both small bounds is small"),
    case("56", 19, 200, _, MI, "transport with employees just below small is micro"),
    case("57", 20, 199, _, MI, "transport with revenue just below small is micro"),
    case("54", _, 250, _, SME, "transport with revenue 250 and no employees is an sme"),
    # 仓储业 59: SME if employees < 200 or revenue < 30000; medium ≥ 100 and ≥ 1000;
    # small ≥ 20 and ≥ 100.
    case("59", 200, 30000, _, L, "warehousing at both SME bounds is large"),
    case("59", 199, 30000, _, M, "warehousing with employees just below the SME bound"),
    case("59", 200, 29999, _, M, "warehousing with revenue just below the SME bound"),
    case("59", 100, 1000, _, M, "warehousing at both medium bounds is medium"),
    case("59", 99, 1000, _, S, "warehousing with employees just below medium is small"),
    case("59", 100, 999, _, S, "warehousing with revenue just below medium is small"),
    case("59", 20, 100, _, S, "warehousing at both small bounds is small"),
    case("59", 19, 100, _, MI, "warehousing with employees just below small is micro"),
    case("59", 20, 99, _, MI, "warehousing with revenue just below small is micro"),
    case("59", _, _, 1, UNK, "warehousing with only assets is unknown"),
    # 邮政业 60: SME if employees < 1000 or revenue < 30000; medium ≥ 300 and ≥ 2000;
    # small ≥ 20 and ≥ 100.
    case("60", 1000, 30000, _, L, "postal at both SME bounds is large"),
    case("60", 999, 30000, _, M, "postal with employees just below the SME bound"),
    case("60", 1000, 29999, _, M, "postal with revenue just below the SME bound"),
    case("60", 300, 2000, _, M, "postal at both medium bounds is medium"),
    case("60", 299, 2000, _, S, "postal with employees just below medium is small"),
    case("60", 300, 1999, _, S, "postal with revenue just below medium is small"),
    case("60", 20, 100, _, S, "postal at both small bounds is small"),
    case("60", 19, 100, _, MI, "postal with employees just below small is micro"),
    case("60", 20, 99, _, MI, "postal with revenue just below small is micro"),
    # 住宿业 61 and 餐饮业 62: SME if employees < 300 or revenue < 10000; medium ≥ 100 and ≥
    # 2000; small ≥ 10 and ≥ 100.
    case("61", 300, 10000, _, L, "accommodation at both SME bounds is large"),
    case("61", 299, 10000, _, M, "accommodation with employees just below the SME bound"),
    case("62", 300, 9999, _, M, "catering with revenue just below the SME bound"),
    case("61", 100, 2000, _, M, "accommodation at both medium bounds is medium"),
    case("62", 99, 2000, _, S, "catering with employees just below medium is small"),
    case("62", 100, 1999, _, S, "catering with revenue just below medium is small"),
    case("62", 10, 100, _, S, "catering at both small bounds is small"),
    case("61", 9, 100, _, MI, "accommodation with employees just below small is micro"),
    case("62", 10, 99, _, MI, "catering with revenue just below small is micro"),
    case("62", 5, _, _, MI, "catering with 5 employees and no revenue is micro"),
    # 信息传输业 63–64: SME if employees < 2000 or revenue < 100000; medium ≥ 100 and ≥ 1000;
    # small ≥ 10 and ≥ 100.
    case("63", 2000, 100000, _, L, "telecoms at both SME bounds is large"),
    case("64", 1999, 100000, _, M, "internet services with employees just below the SME bound"),
    case("63", 2000, 99999, _, M, "telecoms with revenue just below the SME bound"),
    case("63", 1500, 100000, _, M, "telecoms with 1500 employees is an SME (industry: large)"),
    case("64", 100, 1000, _, M, "internet services at both medium bounds is medium"),
    case("64", 99, 1000, _, S, "internet services with employees just below medium is small"),
    case("64", 100, 999, _, S, "internet services with revenue just below medium is small"),
    case("63", 10, 100, _, S, "telecoms at both small bounds is small"),
    case("63", 9, 100, _, MI, "telecoms with employees just below small is micro"),
    case("63", 10, 99, _, MI, "telecoms with revenue just below small is micro"),
    # 软件和信息技术服务业 65: SME if employees < 300 or revenue < 10000; medium ≥ 100 and ≥
    # 1000; small ≥ 10 and ≥ 50.
    case("65", 300, 10000, _, L, "software at both SME bounds is large"),
    case("65", 299, 10000, _, M, "software with employees just below the SME bound"),
    case("65", 300, 9999, _, M, "software with revenue just below the SME bound"),
    case("65", 100, 1000, _, M, "software at both medium bounds is medium"),
    case("65", 99, 1000, _, S, "software with employees just below medium is small"),
    case("65", 100, 999, _, S, "software with revenue just below medium is small"),
    case("65", 10, 50, _, S, "software at both small bounds is small"),
    case("65", 9, 50, _, MI, "software with employees just below small is micro"),
    case("65", 10, 49.99, _, MI, "software with revenue just below small is micro"),
    case("65", 10, 60, _, S, "software with revenue 60 is small (information transmission: micro)"),
    case("64", 10, 60, _, MI, "information transmission with revenue 60 is micro"),
    # 房地产开发经营 7010: SME if revenue < 200000 or assets < 10000; medium revenue ≥ 1000 and
    # assets ≥ 5000; small revenue ≥ 100 and assets ≥ 2000.
    case("7010", _, 200000, 10000, L, "real-estate development at both SME bounds is large"),
    case("7010", _, 199999, 10000, M, "real-estate development, revenue just below SME bound"),
    case("7010", _, 200000, 9999, M, "real-estate development, assets just below SME bound"),
    case("7010", 9000, 300000, 9000, M, "real-estate development with small assets is medium"),
    case("7010", _, 1000, 5000, M, "real-estate development at both medium bounds is medium"),
    case("7010", _, 999, 5000, S, "real-estate development, revenue just below medium: small"),
    case("7010", _, 1000, 4999, S, "real-estate development, assets just below medium: small"),
    case("7010", _, 100, 2000, S, "real-estate development at both small bounds is small"),
    case("7010", _, 99, 2000, MI, "real-estate development, revenue just below small: micro"),
    case("7010", _, 100, 1999, MI, "real-estate development, assets just below small: micro"),
    case("7010", _, 300000, _, UNK, "real-estate development without assets is unknown"),
    case("7010", _, _, 1500, MI, "real-estate development with assets below 2000 is micro"),
    # 物业管理 7020: SME if employees < 1000 or revenue < 5000; medium ≥ 300 and ≥ 1000;
    # small ≥ 100 and ≥ 500.
    case("7020", 1000, 5000, _, L, "property management at both SME bounds is large"),
    case("7020", 999, 5000, _, M, "property management, employees just below the SME bound"),
    case("7020", 1000, 4999, _, M, "property management, revenue just below the SME bound"),
    case("7020", 300, 1000, _, M, "property management at both medium bounds is medium"),
    case("7020", 299, 1000, _, S, "property management, employees just below medium: small"),
    case("7020", 300, 999, _, S, "property management, revenue just below medium: small"),
    case("7020", 100, 500, _, S, "property management at both small bounds is small"),
    case("7020", 99, 500, _, MI, "property management, employees just below small: micro"),
    case("7020", 100, 499, _, MI, "property management, revenue just below small: micro"),
    case("7020", 50, _, _, MI, "property management with 50 employees is micro"),
    # 租赁和商务服务业 71–72: SME if employees < 300 or assets < 120000; medium ≥ 100 and assets
    # ≥ 8000; small ≥ 10 and assets ≥ 100.
    case("71", 300, _, 120000, L, "leasing at both SME bounds is large"),
    case("72", 299, _, 120000, M, "business services, employees just below the SME bound"),
    case("71", 300, _, 119999, M, "leasing with assets just below the SME bound"),
    case("72", 100, _, 8000, M, "business services at both medium bounds is medium"),
    case("72", 99, _, 8000, S, "business services, employees just below medium: small"),
    case("72", 100, _, 7999, S, "business services, assets just below medium: small"),
    case("71", 10, _, 100, S, "leasing at both small bounds is small"),
    case("71", 9, _, 100, MI, "leasing with employees just below small is micro"),
    case("71", 10, _, 99, MI, "leasing with assets just below small is micro"),
    case("72", 5000, 1, 200000, L, "business services ignore revenue"),
    case("72", 200, 1, _, SME, "business services with 200 employees and no assets: sme"),
    # 其他未列明行业: SME if employees < 300; medium ≥ 100; small ≥ 10; micro < 10.
    case("80", 300, _, _, L, "other industry at the SME bound is large"),
    case("80", 299.99, _, _, M, "other industry just below the SME bound is medium"),
    case("94", 100, _, _, M, "other industry at the medium bound is medium"),
    case("94", 99, _, _, S, "other industry just below medium is small"),
    case("83", 10, _, _, S, "other industry at the small bound is small"),
    case("83", 9.99, _, _, MI, "other industry just below small is micro"),
    case("90", _, 1, 1, UNK, "other industry without employees is unknown"),
    case("7030", 299, _, _, M, "real-estate agency (7030) is an other industry"),
    case("7090", 300, 1, 1, L, "other real estate (7090) is an other industry"),
    case("99", 5, _, _, MI, "a code outside the table is an other industry"),
    case("ab", 5, _, _, MI, "malformed text is an other industry"),
]


@pytest.mark.parametrize(("industry", "employees", "revenue", "assets", "expected"), HAND_WORKED)
def test_hand_worked_cases(industry, employees, revenue, assets, expected):
    assert classify_size(industry, employees, revenue, assets) == expected


DIVISION_EDGES = [
    case("05", 5000, 100, _, S, "division 05 is agriculture: revenue 100 is small"),
    case("06", 5000, 100, _, MI, "division 06 is industry: revenue 100 is micro"),
    case("46", _, 90000, 90000, UNK, "division 46 is industry: employees decide"),
    case("47", _, 90000, 90000, L, "division 47 is construction: revenue and assets decide"),
    case("1311", 500, 5000, _, M, "a 4-digit class takes its division's row (13 industry)"),
    case("0511", 5000, 100, _, S, "a 4-digit class of division 05 is agriculture"),
    case("5191", 19.5, 5000, _, S, "a 4-digit class of division 51 is wholesale"),
]


@pytest.mark.parametrize(("industry", "employees", "revenue", "assets", "expected"),
                         DIVISION_EDGES)
def test_divisions_map_to_the_right_row(industry, employees, revenue, assets, expected):
    assert classify_size(industry, employees, revenue, assets) == expected


AMBIGUOUS = [
    case("70", 50, _, _, UNK, "bare 70 could be real-estate development, which needs assets"),
    case("70", 5, 50, 1000, MI, "bare 70 is micro when every 70 row says micro"),
    case("70", 50, 5000, 1000, SME, "bare 70 is sme when its rows say micro and small"),
    case("70", 2000, 300000, 20000, L, "bare 70 is large when every 70 row says large"),
    case("70", 500, 3000, 20000, UNK, "bare 70 is unknown when one row says large"),
    case(None, 5, 10, 10, MI, "no industry code: micro when every row says micro"),
    case("", 5, 10, 10, MI, "an empty industry code counts as missing"),
    case(None, 5000, 500000, 500000, L, "no industry code: large when every row says large"),
    case(None, 250, 5000, 5000, SME, "no industry code: sme when every row says some SME"),
    case(None, 500, 5000, 5000, UNK, "no industry code: unknown when rows disagree on SME"),
    case(None, 5, _, 10, UNK, "no industry code and no revenue: agriculture could be large"),
    case(None, 5, 10, _, MI, "no industry code, no assets, yet every row says micro"),
]


@pytest.mark.parametrize(("industry", "employees", "revenue", "assets", "expected"), AMBIGUOUS)
def test_ambiguous_industry_decides_only_where_every_candidate_agrees(
    industry, employees, revenue, assets, expected
):
    assert classify_size(industry, employees, revenue, assets) == expected


def test_every_division_maps_to_the_row_the_brief_names():
    standard = default_size_standard()
    expected = {}
    for first, last, row in [(1, 5, "agriculture"), (6, 46, "industry"), (47, 50, "construction"),
                             (51, 51, "wholesale"), (52, 52, "retail"), (53, 58, "transport"),
                             (59, 59, "warehousing"), (60, 60, "postal"),
                             (61, 61, "accommodation"), (62, 62, "catering"),
                             (63, 64, "information_transmission"),
                             (65, 65, "software_it_services"),
                             (71, 72, "leasing_business_services")]:
        expected.update({f"{code:02d}": row for code in range(first, last + 1)})
    for code in range(100):
        division = f"{code:02d}"
        rows = [row.id for row in standard.industries_for(division)]
        if division == "70":
            assert rows == ["real_estate_development", "property_management", "other"]
        else:
            assert rows == [expected.get(division, "other")], division
    assert [row.id for row in standard.industries_for("7010")] == ["real_estate_development"]
    assert [row.id for row in standard.industries_for("7020")] == ["property_management"]
    assert [row.id for row in standard.industries_for("7040")] == ["other"]


def test_the_shipped_standard_carries_its_legal_reference_and_start_date():
    standard = default_size_standard()
    assert "工信部联企业〔2011〕300号" in standard.reference
    assert str(standard.valid_from) == "2011-06-18"
    assert standard.valid_to is None
    assert standard.default_industry.id == "other"


@pytest.mark.parametrize("employees", [Decimal("999.5"), Fraction(1999, 2), 999.5, 999])
def test_employees_may_be_any_exact_or_float_number(employees):
    assert classify_size("13", employees, 40000, None) == M


@pytest.mark.parametrize("bad", [float("nan"), Decimal("NaN"), "12", True])
def test_not_a_number_is_refused_rather_than_read_as_large(bad):
    with pytest.raises(SizeInputError) as error:
        classify_size("13", bad, 100, None)
    assert error.value.code == "sizing_input"


def test_an_integer_industry_code_is_refused_because_it_lost_its_leading_zero():
    with pytest.raises(SizeInputError):
        classify_size(5, 10, 10, 10)


def test_join_sizes_keeps_only_what_every_answer_allows():
    assert join_sizes([M, M]) == M
    assert join_sizes([M, S]) == SME
    assert join_sizes([MI, SME]) == SME
    assert join_sizes([L, MI]) == UNK
    assert join_sizes([L, L]) == L
    assert join_sizes([SME, UNK]) == UNK


# --- the strict loader ---------------------------------------------------------------------

VALID = textwrap.dedent("""\
    id: test
    title: 测试标准
    reference: 测试〔2011〕1号
    valid_from: 2011-06-18
    industries:
      - id: farm
        name: 农业
        divisions: ["01"]
        sme_if_any_below: {revenue: 20000}
        medium_if_all_at_least: {revenue: 500}
        small_if_all_at_least: {revenue: 50}
        micro_if_any_below: {revenue: 50}
      - id: other
        name: 其他
        default: true
        divisions: []
        sme_if_any_below: {employees: 300}
        medium_if_all_at_least: {employees: 100}
        small_if_all_at_least: {employees: 10}
        micro_if_any_below: {employees: 10}
""")


def test_a_minimal_standard_loads_and_classifies():
    standard = parse_size_standard(VALID, source="test.yaml")
    assert classify_size("01", None, 600, None, standard=standard) == M
    assert classify_size("0111", None, 600, None, standard=standard) == M
    assert classify_size("02", 50, None, None, standard=standard) == S


def test_load_size_standard_reads_a_file(tmp_path):
    path = tmp_path / "size.yaml"
    path.write_text(VALID, encoding="utf-8")
    assert load_size_standard(path).source == str(path)


BROKEN = [
    (VALID.replace("title: 测试标准", "title: 测试标准\ncolour: red"), "colour"),
    (VALID.replace("    divisions: [\"01\"]", "    divisions: [\"01\"]\n    name: again"),
     "duplicate key"),
    (VALID.replace('["01"]', "[01]"), "quoted"),
    (VALID.replace('divisions: []', 'divisions: ["01"]'), "already belongs"),
    (VALID.replace("{revenue: 20000}", "{revenue: -5}"), "positive integer"),
    (VALID.replace("{revenue: 20000}", "{revenue: 20000.5}"), "positive integer"),
    (VALID.replace("{revenue: 20000}", "{turnover: 20000}"), "unknown variable"),
    (VALID.replace("micro_if_any_below: {revenue: 50}", "micro_if_any_below: {revenue: 40}"),
     "micro tests must equal"),
    (VALID.replace("medium_if_all_at_least: {revenue: 500}",
                   "medium_if_all_at_least: {revenue: 5}"), "below small"),
    (VALID.replace("medium_if_all_at_least: {revenue: 500}",
                   "medium_if_all_at_least: {employees: 500}"), "same variables"),
    (VALID.replace("    default: true\n", ""), "exactly one row must be the default"),
    (VALID.replace("    sme_if_any_below: {employees: 300}\n", ""), "missing keys"),
    (VALID.replace("valid_from: 2011-06-18", "valid_from: June 2011"), "YYYY-MM-DD"),
    (VALID.replace("valid_from: 2011-06-18", "valid_from: 2011-06-18\nvalid_to: 2010-01-01"),
     "after valid_from"),
    (VALID.replace('["01"]', '["70", "7010"]'), "ambiguous"),
    (VALID.replace("id: farm", "id: Farm!"), "invalid row id"),
    (VALID.replace("industries:", "industries: ["), "invalid YAML"),
    (VALID.replace("{revenue: 20000}", "{}"), "non-empty mapping"),
    (VALID.replace("id: farm", "id: other"), "duplicate row id"),
    (VALID.replace("title: 测试标准", "title: 测试标准\n? [a, b]\n: c"), "invalid YAML"),
]


@pytest.mark.parametrize(("text", "problem"), BROKEN)
def test_the_loader_refuses_a_broken_standard_naming_file_and_problem(text, problem):
    with pytest.raises(SizeTableError) as error:
        parse_size_standard(text, source="broken.yaml")
    assert isinstance(error.value, SizingError)
    assert error.value.code == "sizing_table"
    assert "broken.yaml" in error.value.en
    assert problem in error.value.en
    assert error.value.zh
