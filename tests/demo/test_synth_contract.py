"""The synthetic city writes exactly the feeds of FEEDS.md, with valid identifiers and codes."""

from datetime import date

import polars as pl
import pytest

from wengang.core.ids import validate_resident_id, validate_uscc
from wengang.demo import CitySpec, SynthSpecError, write_city

from .conftest import FEED_NAMES, read_feeds

# Copied from FEEDS.md on purpose (not imported from the generator): the contract is the test.
CONTRACT_COLUMNS = {
    "units": ["uscc", "name", "unit_type", "region_code", "industry_code", "registered_on",
              "ui_insured_since", "is_labour_dispatch", "legal_rep_name", "legal_rep_id",
              "contact_phone", "clerk_name", "clerk_phone", "bank_name", "bank_account",
              "si_account"],
    "contributions": ["uscc", "month", "insured", "due", "paid", "paid_on"],
    "separations": ["uscc", "person", "separated_on", "reason", "claims_benefit"],
    "tax": ["uscc", "year", "revenue", "total_assets"],
    "registry": ["uscc", "status", "abnormal", "restructured_on", "restructure_kind"],
    "credit": ["uscc", "list", "listed_on", "removed_on"],
    "environment": ["uscc", "penalty_on", "severity"],
    "difficulty": ["uscc", "certified_by", "valid_from", "valid_to"],
}
KEYS = {"units": ["uscc"], "contributions": ["uscc", "month"],
        "separations": ["uscc", "person", "separated_on"], "tax": ["uscc", "year"],
        "registry": ["uscc"], "credit": ["uscc", "listed_on"],
        "environment": ["uscc", "penalty_on"], "difficulty": ["uscc", "valid_from"]}
ENUMS = {
    ("units", "unit_type"): {"enterprise", "social_org", "foundation", "social_service",
                             "law_firm", "accounting_firm", "individual_business", "government",
                             "public_institution"},
    ("separations", "reason"): {"layoff", "contract_end", "resignation", "retirement", "death",
                                "transfer", "other"},
    ("registry", "status"): {"active", "revoked", "cancelled", "liquidating", "bankrupt"},
    ("registry", "restructure_kind"): {"conversion", "merger", "split", "reorganisation"},
    ("credit", "list"): {"serious_dishonesty"},
    ("environment", "severity"): {"major", "general"},
    ("difficulty", "certified_by"): {"ndrc", "miit", "sasac", "joint"},
}
MONEY = {("contributions", "due"), ("contributions", "paid"), ("tax", "revenue"),
         ("tax", "total_assets")}
DATES = {("units", "registered_on"), ("units", "ui_insured_since"), ("contributions", "paid_on"),
         ("separations", "separated_on"), ("registry", "restructured_on"),
         ("credit", "listed_on"), ("credit", "removed_on"), ("environment", "penalty_on"),
         ("difficulty", "valid_from"), ("difficulty", "valid_to")}
BOOLS = {("units", "is_labour_dispatch"), ("separations", "claims_benefit"),
         ("registry", "abnormal")}
NANCHANG = {"360102", "360103", "360104", "360111", "360112", "360113", "360121", "360123",
            "360124"}
USCC_PREFIX = {"enterprise": "91", "accounting_firm": "91", "individual_business": "92",
               "law_firm": "31", "social_org": "51", "social_service": "52", "foundation": "53",
               "government": "11", "public_institution": "12"}


def test_the_city_holds_one_file_per_feed_with_exactly_the_contract_columns(city, feeds):
    assert sorted(path.name for path in city.iterdir()) == sorted(
        [f"{feed}.csv" for feed in FEED_NAMES] + [".answers"])
    assert [path.name for path in (city / ".answers").iterdir()] == ["signals.csv"]
    for feed, frame in feeds.items():
        assert frame.columns == CONTRACT_COLUMNS[feed], feed
        assert frame.height > 0, feed


def test_parquet_and_csv_hold_the_same_values(tmp_path):
    spec = CitySpec(units=400, seed=11)
    write_city(spec, tmp_path / "csv")
    write_city(spec, tmp_path / "parquet", file_format="parquet")
    csv = read_feeds(tmp_path / "csv")
    parquet = read_feeds(tmp_path / "parquet", "parquet")
    for feed in FEED_NAMES:
        assert parquet[feed].columns == CONTRACT_COLUMNS[feed]
        as_text = parquet[feed].select(pl.all().cast(pl.String))
        assert as_text.equals(csv[feed]), feed
    assert parquet["contributions"].schema["due"] == pl.Decimal(18, 2)


def test_every_uscc_is_valid_and_names_the_units_region_and_registration_authority(feeds):
    units = feeds["units"]
    for code, region, unit_type in units.select("uscc", "region_code", "unit_type").iter_rows():
        assert validate_uscc(code) == code
        assert code[2:8] == region
        assert code[:2] == USCC_PREFIX[unit_type]


def test_legal_representatives_have_valid_ids_born_1955_to_2000(feeds):
    ids = feeds["units"].get_column("legal_rep_id").drop_nulls().to_list()
    assert len(ids) > 0.9 * feeds["units"].height
    for number in ids:
        assert validate_resident_id(number, today=date(2020, 4, 15)) == number
        assert 1955 <= int(number[6:10]) <= 2000
    names = feeds["units"].get_column("legal_rep_name")
    assert names.null_count() == 0
    assert names.str.contains(r"^[\p{Han}]{2,4}$").all()


def test_phones_are_mobile_numbers_and_accounts_digits(feeds):
    units = feeds["units"]
    for column in ("contact_phone", "clerk_phone"):
        assert units.get_column(column).drop_nulls().str.contains(r"^1[3-9]\d{9}$").all()
    for column in ("bank_account", "si_account"):
        assert units.get_column(column).drop_nulls().str.contains(r"^\d{12,21}$").all()
    share = lambda column: units.get_column(column).is_not_null().mean()
    assert 0.8 < share("bank_account") < 0.95
    assert 0.4 < share("clerk_name") < 0.8
    assert 0.2 < share("si_account") < 0.5


def test_codes_and_enums_are_from_the_contract(feeds):
    units = feeds["units"]
    assert set(units.get_column("region_code").unique()) == NANCHANG
    industries = units.get_column("industry_code")
    # Division 70 is split by class (FEEDS.md): a bare "70" would leave the size table guessing.
    assert industries.str.contains(r"^(\d{2}|70[1-9]0)$").all()
    assert "70" not in set(industries.unique())
    assert {"7010", "7020", "13", "36", "47", "51", "52", "62", "65"} <= set(industries.unique())
    for (feed, column), allowed in ENUMS.items():
        assert set(feeds[feed].get_column(column).drop_nulls().unique()) <= allowed, column
    assert set(units.get_column("unit_type").unique()) == ENUMS[("units", "unit_type")]


def test_money_has_two_decimals_dates_are_iso_and_booleans_true_false(feeds):
    for feed, column in MONEY:
        assert feeds[feed].get_column(column).str.contains(r"^\d+\.\d{2}$").all(), column
    for feed, column in DATES:
        values = feeds[feed].get_column(column).drop_nulls()
        assert values.str.to_date("%Y-%m-%d", strict=True).is_not_null().all(), column
    for feed, column in BOOLS:
        assert set(feeds[feed].get_column(column).unique()) <= {"true", "false"}, column
    assert feeds["contributions"].get_column("month").str.contains(r"^\d{4}-(0[1-9]|1[0-2])$").all()
    assert feeds["contributions"].get_column("insured").str.contains(r"^\d+$").all()


def test_keys_are_unique_and_every_feed_speaks_of_known_units(feeds):
    known = feeds["units"].get_column("uscc")
    for feed, key in KEYS.items():
        frame = feeds[feed]
        assert not frame.select(pl.struct(key).is_duplicated().any()).item(), feed
        if feed != "units":
            assert frame.get_column("uscc").is_in(known.implode()).all(), feed
    assert feeds["registry"].height == feeds["units"].height


def test_dates_respect_their_order_and_the_screening_date(feeds):
    units = feeds["units"].with_columns(pl.col("registered_on", "ui_insured_since").str.to_date())
    assert (units["registered_on"] <= units["ui_insured_since"]).all()
    credit = feeds["credit"].with_columns(pl.col("listed_on", "removed_on").str.to_date())
    assert credit.filter(pl.col("removed_on") < pl.col("listed_on")).is_empty()
    difficulty = feeds["difficulty"].with_columns(pl.col("valid_from", "valid_to").str.to_date())
    assert (difficulty["valid_from"] <= difficulty["valid_to"]).all()
    for feed, column in DATES - {("difficulty", "valid_to"), ("credit", "removed_on")}:
        latest = feeds[feed].get_column(column).drop_nulls().str.to_date().max()
        assert latest <= date(2020, 4, 15), column
    # No contribution month before the month the unit joined unemployment insurance.
    months = feeds["contributions"].group_by("uscc").agg(pl.col("month").min()).join(
        feeds["units"].select("uscc", pl.col("ui_insured_since").str.slice(0, 7)), on="uscc")
    assert (months["month"] >= months["ui_insured_since"]).all()


def test_other_cities_spread_units_over_their_own_districts(tmp_path):
    write_city(CitySpec(units=300, seed=1, region_code="360400"), tmp_path)  # 九江市
    units = pl.read_csv(tmp_path / "units.csv", infer_schema=False)
    regions = set(units.get_column("region_code"))
    assert len(regions) > 3 and all(code.startswith("3604") for code in regions)
    assert units.get_column("name").str.contains("九江").any()


@pytest.mark.parametrize("spec", [
    {"units": 0}, {"region_code": "360102"}, {"region_code": "36010"},
    {"year": 2019, "as_of": date(2019, 6, 1)}, {"units": 50, "dirty": True},
])
def test_impossible_cities_are_refused_with_a_reason(spec):
    with pytest.raises(SynthSpecError) as refused:
        CitySpec(**spec)
    assert refused.value.zh and refused.value.en


def test_an_unknown_city_code_is_refused(tmp_path):
    with pytest.raises(SynthSpecError):
        write_city(CitySpec(units=10, region_code="369900"), tmp_path)
    assert not list(tmp_path.iterdir())

