"""The pandas reference screening (bench/pandas_reference.py) on tiny hand-computed feed sets.

Every case is a literal feed folder written to tmp_path with the answer worked out by hand from
FEEDS.md's reference interpretation; thresholds are tested at, just below and just above. The
default unit (``City.unit()`` with no arguments) is an eligible small software firm: 100 insured
all along, 1,000.00 yuan due and paid every month from 2018-12 to 2020-04, revenue 500 (10k yuan),
active registry row, a bank account → inclusive 12,000.00 automatic; no difficulty certificate.
"""

import importlib.util
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from wengang.core.ids import USCC_ALPHABET, uscc_check_char

ROOT = Path(__file__).resolve().parents[2]


def _load_reference():
    spec = importlib.util.spec_from_file_location("pandas_reference",
                                                  ROOT / "bench" / "pandas_reference.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["pandas_reference"] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


ref = _load_reference()

AS_OF = date(2020, 4, 15)
MONTHS = (["2018-12"] + [f"2019-{m:02d}" for m in range(1, 13)]
          + ["2020-01", "2020-02", "2020-03", "2020-04"])


def make_uscc(n: int) -> str:
    """A valid GB 32100 code: 91360100 + n in base 31 over the USCC alphabet + check char."""
    digits = ""
    for _ in range(9):
        n, rest = divmod(n, 31)
        digits = USCC_ALPHABET[rest] + digits
    first17 = "91360100" + digits
    return first17 + uscc_check_char(first17)


class City:
    """Rows for each feed, written as CSV files into a folder; one method per kind of fact."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, str]]] = defaultdict(list)
        self.count = 0

    def unit(self, *, unit_type="enterprise", industry_code="65", is_labour_dispatch="false",
             bank_account="6222020200112233", si_account="", status="active", abnormal="false",
             registry=True, baseline=100, insured=None, year_end=None, due="1000.00", paid=None,
             months=None, revenue="5000000.00", total_assets="", tax_year="2019", tax=True
             ) -> str:
        """Add a unit; ``months`` maps a month to None (no row) or to fields replacing defaults."""
        self.count += 1
        code = make_uscc(self.count)
        self.rows["units"].append({
            "uscc": code, "name": f"单位{self.count}", "unit_type": unit_type,
            "region_code": "360100", "industry_code": industry_code,
            "is_labour_dispatch": is_labour_dispatch, "bank_account": bank_account,
            "si_account": si_account,
        })
        insured = baseline if insured is None else insured
        year_end = insured if year_end is None else year_end
        overrides = months or {}
        for month in sorted(set(MONTHS) | set(overrides)):
            if month == "2018-12":
                headcount = baseline
            elif month >= "2019-12":
                headcount = year_end
            else:
                headcount = insured
            row = {"uscc": code, "month": month, "insured": str(headcount), "due": due,
                   "paid": due if paid is None else paid}
            if month in overrides:
                if overrides[month] is None:
                    continue
                row.update({key: str(value) for key, value in overrides[month].items()})
            self.rows["contributions"].append(row)
        if registry:
            self.rows["registry"].append({"uscc": code, "status": status, "abnormal": abnormal})
        if tax:
            self.rows["tax"].append({"uscc": code, "year": tax_year, "revenue": revenue or "",
                                     "total_assets": total_assets or ""})
        return code

    def add(self, feed: str, **row: str) -> None:
        self.rows[feed].append(row)

    def separations(self, code: str, count: int, *, reason="layoff", claims_benefit="false",
                    on="2019-06-01") -> None:
        start = len(self.rows["separations"])
        for i in range(count):
            self.add("separations", uscc=code, person=f"P{start + i:06d}", separated_on=on,
                     reason=reason, claims_benefit=claims_benefit)

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for feed, rows in self.rows.items():
            columns = list(dict.fromkeys(key for row in rows for key in row))
            pd.DataFrame(rows, columns=columns).to_csv(folder / f"{feed}.csv", index=False)
        return folder

    def screen(self, tmp_path: Path, **params) -> dict[str, dict[str, dict[str, str]]]:
        """result[uscc]["inclusive" | "difficult"] → the result row as text."""
        folder = self.write(tmp_path / "feeds")
        frame = ref.screen_2020(folder, as_of=params.pop("as_of", AS_OF), **params)
        result: dict[str, dict[str, dict[str, str]]] = defaultdict(dict)
        for row in frame.to_dict("records"):
            result[row["uscc"]][row["program"].removesuffix("-2020")] = row
        return result


def inclusive(result, code):
    return result[code]["inclusive"]


def screen_each(factory, cases, build, **params) -> list[dict[str, dict[str, str]]]:
    """Screen a table of cases together: one unit per case, one feed set, one screening.

    Units never influence each other, so a table costs one screening instead of one per case.
    Returns each case's ``{"inclusive": row, "difficult": row}``, in the order of ``cases``.
    """
    city = City()
    codes = [build(city, *case) for case in cases]
    result = city.screen(factory.mktemp("feeds"), **params)
    return [result[code] for code in codes]


# --------------------------------------------------------------------------------------------
# The default unit and the shape of the result
# --------------------------------------------------------------------------------------------
def test_an_eligible_small_firm_gets_its_full_premiums_back_automatically(tmp_path):
    city = City()
    code = city.unit()
    result = city.screen(tmp_path)
    assert result[code]["inclusive"] == {
        "uscc": code, "program": "inclusive-2020", "eligible": "true", "amount": "12000.00",
        "size": "small", "route": "automatic", "layoff_rate": "0.0000", "failed": ""}
    assert result[code]["difficult"] == {
        "uscc": code, "program": "difficult-2020", "eligible": "false", "amount": "0.00",
        "size": "small", "route": "none", "layoff_rate": "0.0000",
        "failed": "difficulty_certificate"}


def test_result_has_the_contract_columns_one_row_per_unit_and_program_sorted(tmp_path):
    city = City()
    codes = [city.unit() for _ in range(3)]
    city.add("contributions", uscc=make_uscc(999), month="2019-01", insured="5", due="1.00",
             paid="1.00")  # a USCC not in units.csv: ignored
    frame = ref.screen_2020(city.write(tmp_path / "feeds"), as_of=AS_OF)
    assert list(frame.columns) == ["uscc", "program", "eligible", "amount", "size", "route",
                                   "layoff_rate", "failed"]
    expected_keys = [(code, program) for code in sorted(codes)
                     for program in ("difficult-2020", "inclusive-2020")]
    assert list(zip(frame["uscc"], frame["program"], strict=True)) == expected_keys


def test_optional_feeds_may_be_absent(tmp_path):
    city = City()
    code = city.unit(tax=False)  # no tax.csv, separations.csv, credit.csv, ... at all
    assert not (tmp_path / "feeds" / "tax.csv").exists()
    result = city.screen(tmp_path)
    assert inclusive(result, code)["eligible"] == "true"
    assert inclusive(result, code)["size"] == "sme"  # 100 employees, revenue unknown


def test_cli_writes_the_result_csv_with_parameter_overrides(tmp_path):
    city = City()
    code = city.unit()
    city.add("difficulty", uscc=code, certified_by="miit", valid_from="2020-01-01",
             valid_to="2020-12-31")
    folder = city.write(tmp_path / "feeds")
    out = tmp_path / "result.csv"
    status = ref.main([str(folder), "--as-of", "2020-04-15", "--out", str(out),
                       "--set", "monthly_benefit=19.99", "--set", "ratio_sme=0.9"])
    assert status == 0
    # difficult 6 × 19.99 × 100 = 11,994.00 > inclusive 0.9 × 12,000.00 = 10,800.00: the
    # difficult program is kept and the inclusive row fails stacking.
    assert out.read_text(encoding="utf-8").splitlines() == [
        "uscc,program,eligible,amount,size,route,layoff_rate,failed",
        f"{code},difficult-2020,true,11994.00,small,application,0.0000,",
        f"{code},inclusive-2020,false,0.00,small,none,0.0000,stacking",
    ]


def test_cli_refuses_an_unknown_parameter(tmp_path, capsys):
    city = City()
    city.unit()
    folder = city.write(tmp_path / "feeds")
    with pytest.raises(SystemExit):
        ref.main([str(folder), "--as-of", "2020-04-15", "--out", str(tmp_path / "r.csv"),
                  "--set", "ratio_smee=0.9"])


# --------------------------------------------------------------------------------------------
# unit_type
# --------------------------------------------------------------------------------------------
UNIT_TYPE_CASES = [
    ("enterprise", True), ("individual_business", True), ("social_org", False),
    ("foundation", False), ("social_service", False), ("law_firm", False),
    ("accounting_firm", False), ("government", False), ("public_institution", False),
]


@pytest.fixture(scope="module")
def unit_type_results(tmp_path_factory):
    def build(city, unit_type, _):
        code = city.unit(unit_type=unit_type)
        city.add("difficulty", uscc=code, certified_by="ndrc", valid_from="2020-01-01",
                 valid_to="2020-12-31")
        return code
    return screen_each(tmp_path_factory, UNIT_TYPE_CASES, build)


@pytest.mark.parametrize(("unit_type", "eligible"), UNIT_TYPE_CASES)
def test_only_enterprises_and_individual_businesses_qualify_in_2020(unit_type_results, unit_type,
                                                                      eligible):
    result = unit_type_results[UNIT_TYPE_CASES.index((unit_type, eligible))]
    if eligible:
        assert result["difficult"]["eligible"] == "true"  # the larger amount
        assert result["inclusive"]["failed"] == "stacking"
    else:
        assert result["inclusive"]["failed"] == "unit_type"
        assert result["difficult"]["failed"] == "unit_type"
        assert result["difficult"]["route"] == "none"


# --------------------------------------------------------------------------------------------
# paid_12_months and no_arrears
# --------------------------------------------------------------------------------------------
ARREARS_CASES = [
    ({"2019-06": None}, "paid_12_months", "0.00"),  # a month of Y missing
    ({"2019-06": {"paid": "999.99"}}, "no_arrears;paid_12_months", "0.00"),
    ({"2019-06": {"due": "0.00", "paid": "0.00"}}, "paid_12_months", "0.00"),  # due must be > 0
    ({"2019-06": {"paid": "1500.00"}}, "", "12000.00"),  # overpaid: base takes min(paid, due)
    ({"2018-12": {"paid": "900.00"}}, "no_arrears", "0.00"),  # arrears before Y
    ({"2017-01": {"paid": "0.00"}}, "no_arrears", "0.00"),  # from the very first row
    ({"2020-03": {"paid": "0.00"}}, "no_arrears", "0.00"),
    ({"2020-04": {"paid": "999.99"}}, "no_arrears", "0.00"),  # the month of as_of counts
    ({"2020-05": {"paid": "0.00"}}, "", "12000.00"),  # a month after as_of's month: ignored
    ({"2020-04": None}, "", "12000.00"),  # no row for the current month is not arrears
]


@pytest.fixture(scope="module")
def arrears_results(tmp_path_factory):
    return screen_each(tmp_path_factory, ARREARS_CASES,
                       lambda city, months, *_: city.unit(months=months))


@pytest.mark.parametrize(("months", "failed", "amount"), ARREARS_CASES)
def test_twelve_months_paid_in_full_and_no_arrears(arrears_results, months, failed, amount):
    row = arrears_results[ARREARS_CASES.index((months, failed, amount))]["inclusive"]
    assert (row["failed"], row["amount"]) == (failed, amount)
    assert row["eligible"] == ("true" if not failed else "false")
    assert row["route"] == ("automatic" if not failed else "none")


def test_base_is_the_sum_of_min_paid_due_over_the_months_of_y(tmp_path):
    city = City()
    overpaid = city.unit(months={"2019-01": {"due": "1234.56", "paid": "2000.00"},
                                 "2019-02": {"due": "0.29", "paid": "0.29"}})
    result = city.screen(tmp_path)
    # 10 × 1000.00 + 1234.56 + 0.29 = 11234.85 (0.29 yuan is 29 fen, not 28.999…)
    assert inclusive(result, overpaid)["amount"] == "11234.85"


# --------------------------------------------------------------------------------------------
# layoff_rate (net_headcount)
# --------------------------------------------------------------------------------------------
LAYOFF_CASES = [
    (200, 189, "0.0550", True),   # 11 leaving of 200: exactly 5.5%
    (200, 188, "0.0600", False),  # 12 leaving
    (1000, 945, "0.0550", True),
    (2000, 1889, "0.0555", False),  # 111/2000: above 5.5% by half a per mille
    (1000, 944, "0.0560", False),
    (30, 24, "0.2000", True),     # ≤ 30 at the baseline: 20% allowed
    (30, 23, "0.2333", False),
    (31, 30, "0.0323", True),     # 31: back to 5.5%
    (31, 29, "0.0645", False),
    (31, 25, "0.1935", False),    # would pass at 20%, fails at 5.5%
    (160, 151, "0.0563", False),  # 9/160 = 0.05625 → half-up 0.0563
    (100, 120, "0.0000", True),   # growth counts as 0
    (0, 5, "0.0000", True),       # baseline 0 → rate 0
]


@pytest.fixture(scope="module")
def layoff_results(tmp_path_factory):
    return screen_each(tmp_path_factory, LAYOFF_CASES, lambda city, baseline, year_end, *_:
                       city.unit(baseline=baseline, year_end=year_end))


@pytest.mark.parametrize(("baseline", "year_end", "rate", "passes"), LAYOFF_CASES)
def test_layoff_rate_thresholds_for_smes(layoff_results, baseline, year_end, rate, passes):
    result = layoff_results[LAYOFF_CASES.index((baseline, year_end, rate, passes))]
    row = result["inclusive"]
    assert row["size"] in ("small", "micro")
    assert row["layoff_rate"] == rate
    assert row["failed"] == ("" if passes else "layoff_rate")
    assert result["difficult"]["layoff_rate"] == rate


def test_baseline_falls_back_to_the_first_month_of_y(tmp_path):
    city = City()
    # no 2018-12 row: baseline = January 2019 (50); December 40 → 10/50 = 20% > 5.5% (50 > 30)
    code = city.unit(baseline=50, insured=50, year_end=40, months={"2018-12": None})
    row = inclusive(city.screen(tmp_path), code)
    assert (row["layoff_rate"], row["failed"]) == ("0.2000", "layoff_rate")


def test_year_end_without_a_december_row_counts_as_nobody_insured(tmp_path):
    city = City()
    code = city.unit(baseline=50, months={"2019-12": None})
    row = inclusive(city.screen(tmp_path), code)
    assert row["layoff_rate"] == "1.0000"
    assert row["failed"] == "layoff_rate;paid_12_months"


LARGE_SOFTWARE = {"industry_code": "65", "baseline": 1000, "year_end": 955,
                  "revenue": "100000000.00"}  # 1000 staff, 10,000 (10k yuan): large; 45 leaving


@pytest.mark.parametrize(("rate_param", "large_passes"), [
    (None, True), ("0.045", True), ("0.0449", False), ("0.04", False)])
def test_large_and_unknown_units_use_the_registered_unemployment_rate(tmp_path, rate_param,
                                                                      large_passes):
    city = City()
    large = city.unit(**LARGE_SOFTWARE)
    unknown = city.unit(industry_code="65", baseline=1000, year_end=955, tax=False)
    sme = city.unit(baseline=200, year_end=191)  # 9/200 = 0.045 too, but an SME: 5.5%
    params = {} if rate_param is None else {"registered_unemployment_rate": rate_param}
    result = city.screen(tmp_path, **params)
    assert inclusive(result, large)["size"] == "large"
    assert inclusive(result, unknown)["size"] == "unknown"
    for code in (large, unknown, sme):
        assert inclusive(result, code)["layoff_rate"] == "0.0450"
    expected = "" if large_passes else "layoff_rate"
    assert inclusive(result, large)["failed"] == expected
    assert inclusive(result, unknown)["failed"] == expected
    assert inclusive(result, sme)["failed"] == ""


def test_small_large_unit_still_gets_the_twenty_percent_threshold(tmp_path):
    city = City()
    # agriculture is sized by revenue alone: 20,000 (10k yuan) makes 30 people a large unit
    code = city.unit(industry_code="01", baseline=30, year_end=24, revenue="200000000.00")
    row = inclusive(city.screen(tmp_path, registered_unemployment_rate="0.03"), code)
    assert row["size"] == "large"
    assert (row["layoff_rate"], row["failed"]) == ("0.2000", "")


# --------------------------------------------------------------------------------------------
# layoff_rate: the other strategies
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("layoffs", "rate", "passes"), [
    (11, "0.0550", True), (12, "0.0600", False)])
def test_layoff_separations_counts_layoffs_dated_within_y(tmp_path, layoffs, rate, passes):
    city = City()
    code = city.unit(baseline=200)  # headcount never moves: net rate 0
    city.separations(code, 1, on="2019-01-01")
    city.separations(code, layoffs - 2, on="2019-07-01")
    city.separations(code, 1, on="2019-12-31")
    city.separations(code, 1, on="2018-12-31")  # before Y
    city.separations(code, 1, on="2020-01-01")  # after Y
    city.separations(code, 5, reason="contract_end", on="2019-03-01")
    city.separations(code, 5, reason="resignation", claims_benefit="true", on="2019-03-02")
    row = inclusive(city.screen(tmp_path, layoff_strategy="layoff_separations"), code)
    assert row["layoff_rate"] == rate
    assert row["failed"] == ("" if passes else "layoff_rate")
    assert inclusive(city.screen(tmp_path), code)["layoff_rate"] == "0.0000"  # net_headcount


@pytest.mark.parametrize(("claimants", "rate", "passes"), [
    (6, "0.0545", True),   # 6 ÷ mean(6 × 100, 6 × 120) = 6/110
    (7, "0.0636", False),  # 7/110
])
def test_benefit_claimants_divide_by_mean_insured_over_y(tmp_path, claimants, rate, passes):
    city = City()
    code = city.unit(baseline=100, months={f"2019-{m:02d}": {"insured": 120}
                                           for m in range(7, 13)})
    city.separations(code, claimants, reason="contract_end", claims_benefit="true")
    city.separations(code, 4, reason="layoff", claims_benefit="false")
    city.separations(code, 2, claims_benefit="true", on="2020-02-01")  # after Y
    row = inclusive(city.screen(tmp_path, layoff_strategy="benefit_claimants"), code)
    assert row["layoff_rate"] == rate
    assert row["failed"] == ("" if passes else "layoff_rate")


def test_benefit_claimants_keep_the_twenty_percent_threshold_for_small_baselines(tmp_path):
    city = City()
    code = city.unit(baseline=20)
    city.separations(code, 4, claims_benefit="true")  # 4/20 = 20%
    row = inclusive(city.screen(tmp_path, layoff_strategy="benefit_claimants"), code)
    assert (row["layoff_rate"], row["failed"]) == ("0.2000", "")


def test_unknown_layoff_strategy_is_refused(tmp_path):
    city = City()
    city.unit()
    with pytest.raises(ValueError, match="layoff_strategy"):
        ref.screen_2020(city.write(tmp_path / "feeds"), as_of=AS_OF, layoff_strategy="net")


# --------------------------------------------------------------------------------------------
# Exclusions: credit_list, environment, registration, abnormal_list
# --------------------------------------------------------------------------------------------
CREDIT_CASES = [
    ("2019-05-01", "", True),
    ("2020-04-15", "", True),            # listed on the screening date
    ("2020-04-16", "", False),           # listed after it
    ("2019-05-01", "2020-04-14", False),  # removed before
    ("2019-05-01", "2020-04-15", False),  # removed on the screening date: no longer listed
    ("2019-05-01", "2020-04-16", True),  # removed after
    ("2015-01-01", "2016-01-01", False),
]


@pytest.fixture(scope="module")
def credit_results(tmp_path_factory):
    def build(city, listed_on, removed_on, _):
        code = city.unit()
        city.add("credit", uscc=code, list="serious_dishonesty", listed_on=listed_on,
                 removed_on=removed_on)
        return code
    return screen_each(tmp_path_factory, CREDIT_CASES, build)


@pytest.mark.parametrize(("listed_on", "removed_on", "excluded"), CREDIT_CASES)
def test_credit_list_active_on_the_screening_date_excludes(credit_results, listed_on,
                                                           removed_on, excluded):
    row = credit_results[CREDIT_CASES.index((listed_on, removed_on, excluded))]["inclusive"]
    assert row["failed"] == ("credit_list" if excluded else "")


ENVIRONMENT_CASES = [
    ("2019-01-01", "major", True),
    ("2018-12-31", "major", False),  # before Y
    ("2020-04-15", "major", True),   # on the screening date
    ("2020-04-16", "major", False),  # after it
    ("2019-06-01", "general", False),
    ("2020-04-15", "general", False),
]


@pytest.fixture(scope="module")
def environment_results(tmp_path_factory):
    def build(city, penalty_on, severity, _):
        code = city.unit()
        city.add("environment", uscc=code, penalty_on=penalty_on, severity=severity)
        return code
    return screen_each(tmp_path_factory, ENVIRONMENT_CASES, build)


@pytest.mark.parametrize(("penalty_on", "severity", "excluded"), ENVIRONMENT_CASES)
def test_major_environmental_penalty_from_the_start_of_y_excludes(environment_results,
                                                                  penalty_on, severity, excluded):
    case = ENVIRONMENT_CASES.index((penalty_on, severity, excluded))
    row = environment_results[case]["inclusive"]
    assert row["failed"] == ("environment" if excluded else "")


REGISTRATION_CASES = [
    ("active", True, False), ("revoked", True, True), ("cancelled", True, True),
    ("liquidating", True, True), ("bankrupt", True, True), ("active", False, True),
]


def test_without_a_registry_file_nobody_is_registered(tmp_path):
    city = City()
    code = city.unit(registry=False)
    row = inclusive(city.screen(tmp_path), code)
    assert not (tmp_path / "feeds" / "registry.csv").exists()
    assert row["failed"] == "registration"


@pytest.fixture(scope="module")
def registration_results(tmp_path_factory):
    return screen_each(tmp_path_factory, REGISTRATION_CASES, lambda city, status, has_row, _:
                       city.unit(status=status, registry=has_row))


@pytest.mark.parametrize(("status", "has_row", "excluded"), REGISTRATION_CASES)
def test_registration_must_be_active(registration_results, status, has_row, excluded):
    case = REGISTRATION_CASES.index((status, has_row, excluded))
    row = registration_results[case]["inclusive"]
    assert row["failed"] == ("registration" if excluded else "")


@pytest.mark.parametrize(("abnormal", "exclude_abnormal", "excluded"), [
    ("true", False, False), ("true", True, True), ("true", "true", True), ("是", True, True),
    ("1", True, True), ("false", True, False), ("", True, False),
])
def test_abnormal_list_only_where_the_region_turns_it_on(tmp_path, abnormal, exclude_abnormal,
                                                         excluded):
    city = City()
    code = city.unit(abnormal=abnormal)
    row = inclusive(city.screen(tmp_path, exclude_abnormal=exclude_abnormal), code)
    assert row["failed"] == ("abnormal_list" if excluded else "")


def test_several_failures_are_listed_sorted(tmp_path):
    city = City()
    code = city.unit(unit_type="social_org", status="revoked", abnormal="true",
                     months={"2019-03": {"paid": "0.00"}}, baseline=200, year_end=100)
    city.add("credit", uscc=code, list="serious_dishonesty", listed_on="2019-01-01")
    city.add("environment", uscc=code, penalty_on="2019-02-02", severity="major")
    result = city.screen(tmp_path, exclude_abnormal=True)
    assert result[code]["inclusive"]["failed"] == (
        "abnormal_list;credit_list;environment;layoff_rate;no_arrears;paid_12_months;"
        "registration;unit_type")
    assert result[code]["difficult"]["failed"] == (
        "abnormal_list;credit_list;difficulty_certificate;environment;layoff_rate;no_arrears;"
        "paid_12_months;registration;unit_type")


# --------------------------------------------------------------------------------------------
# difficult-2020: certificate, amount, stacking
# --------------------------------------------------------------------------------------------
CERTIFICATE_CASES = [
    ("2020-04-15", "2020-12-31", True),   # from the screening date
    ("2020-01-01", "2020-04-15", True),   # to the screening date
    ("2020-01-01", "2020-04-14", False),  # expired the day before
    ("2020-04-16", "2020-12-31", False),  # not yet valid
    ("2020-01-01", "", True),             # open-ended
]


@pytest.fixture(scope="module")
def certificate_results(tmp_path_factory):
    def build(city, valid_from, valid_to, _):
        code = city.unit()
        city.add("difficulty", uscc=code, certified_by="sasac", valid_from=valid_from,
                 valid_to=valid_to)
        return code
    return screen_each(tmp_path_factory, CERTIFICATE_CASES, build)


@pytest.mark.parametrize(("valid_from", "valid_to", "valid"), CERTIFICATE_CASES)
def test_difficulty_certificate_valid_on_the_screening_date(certificate_results, valid_from,
                                                            valid_to, valid):
    case = CERTIFICATE_CASES.index((valid_from, valid_to, valid))
    row = certificate_results[case]["difficult"]
    if valid:
        assert (row["eligible"], row["amount"], row["route"], row["failed"]) == (
            "true", "951000.00", "application", "")  # 6 × 1585 × 100
    else:
        assert (row["eligible"], row["amount"], row["route"], row["failed"]) == (
            "false", "0.00", "none", "difficulty_certificate")


def test_an_expired_and_a_valid_certificate_together_qualify(tmp_path):
    city = City()
    code = city.unit()
    city.add("difficulty", uscc=code, certified_by="joint", valid_from="2019-01-01",
             valid_to="2019-12-31")
    city.add("difficulty", uscc=code, certified_by="joint", valid_from="2020-03-01",
             valid_to="2020-09-30")
    assert city.screen(tmp_path)[code]["difficult"]["eligible"] == "true"


def test_difficult_amount_uses_the_year_end_headcount(tmp_path):
    city = City()
    code = city.unit(baseline=100, year_end=98)
    city.add("difficulty", uscc=code, certified_by="miit", valid_from="2020-01-01",
             valid_to="2020-12-31")
    row = city.screen(tmp_path, monthly_benefit_yuan="1585.50")[code]["difficult"]
    assert row["amount"] == "932274.00"  # 6 × 1585.50 × 98
    assert row["layoff_rate"] == "0.0200"


@pytest.mark.parametrize(("monthly_benefit", "kept", "difficult_amount"), [
    ("1585", "difficult", "951000.00"),  # 951,000.00 > 12,000.00
    ("19.99", "inclusive", "11994.00"),  # 11,994.00 < 12,000.00
    ("20", "inclusive", "12000.00"),     # tie: the inclusive refund is kept
    ("20.01", "difficult", "12006.00"),
])
def test_the_two_programs_do_not_stack(tmp_path, monthly_benefit, kept, difficult_amount):
    city = City()
    code = city.unit()
    city.add("difficulty", uscc=code, certified_by="miit", valid_from="2020-01-01",
             valid_to="2020-12-31")
    result = city.screen(tmp_path, monthly_benefit_yuan=monthly_benefit)[code]
    winner = {"inclusive": ("12000.00", "automatic"),
              "difficult": (difficult_amount, "application")}[kept]
    loser = "difficult" if kept == "inclusive" else "inclusive"
    assert (result[kept]["eligible"], result[kept]["amount"], result[kept]["route"],
            result[kept]["failed"]) == ("true", *winner, "")
    assert (result[loser]["eligible"], result[loser]["amount"], result[loser]["route"],
            result[loser]["failed"]) == ("false", "0.00", "none", "stacking")


def test_no_stacking_when_only_one_program_is_eligible(tmp_path):
    city = City()
    code = city.unit(months={"2020-02": {"paid": "0.00"}})
    city.add("difficulty", uscc=code, certified_by="miit", valid_from="2020-01-01",
             valid_to="2020-12-31")
    result = city.screen(tmp_path)[code]
    assert result["inclusive"]["failed"] == "no_arrears"
    assert result["difficult"]["failed"] == "no_arrears"


# --------------------------------------------------------------------------------------------
# Amount: ratio by size, half-up to the fen
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("extra_fen", "params", "amount"), [
    (1, {}, "6000.01"),                        # 1,200,001 × 0.5 = 600,000.5 fen → 600,001
    (3, {}, "6000.02"),                        # 600,001.5 → 600,002 (half-up, not to even)
    (0, {}, "6000.00"),
    (1, {"ratio_large": "0.3"}, "3600.00"),    # 360,000.3 → 360,000
    (5, {"ratio_large": "0.7"}, "8400.04"),    # 840,003.5 → 840,004
])
def test_large_units_get_the_large_ratio_rounded_half_up(tmp_path, extra_fen, params, amount):
    city = City()
    due = f"1000.{extra_fen:02d}"
    code = city.unit(**LARGE_SOFTWARE | {"year_end": 1000},
                     months={"2019-05": {"due": due, "paid": due}})
    row = inclusive(city.screen(tmp_path, **params), code)
    assert (row["size"], row["amount"], row["route"]) == ("large", amount, "application")


def test_sme_ratio_override_rounds_half_up(tmp_path):
    city = City()
    code = city.unit(months={"2019-05": {"due": "1000.05", "paid": "1000.05"}})  # 1,200,005 fen
    row = inclusive(city.screen(tmp_path, ratio_sme="0.9"), code)
    assert row["amount"] == "10800.05"  # 1,080,004.5 fen → 1,080,005


def test_unknown_size_gets_the_large_ratio_and_an_application(tmp_path):
    city = City()
    code = city.unit(baseline=1000, tax=False)  # software, 1000 staff, revenue unknown
    row = inclusive(city.screen(tmp_path), code)
    assert (row["size"], row["amount"], row["route"]) == ("unknown", "6000.00", "application")


# --------------------------------------------------------------------------------------------
# Route
# --------------------------------------------------------------------------------------------
ROUTE_CASES = [
    ({}, "automatic"),
    ({"bank_account": "", "si_account": "3601000012345"}, "automatic"),
    ({"bank_account": "", "si_account": ""}, "application"),
    ({"is_labour_dispatch": "true"}, "application"),
    ({"is_labour_dispatch": "是"}, "application"),
    ({"is_labour_dispatch": "否"}, "automatic"),
    ({"is_labour_dispatch": ""}, "application"),  # not known to be no dispatch firm
    ({"baseline": 1000, "revenue": "100000000.00"}, "application"),  # large
    ({"baseline": 1000, "tax": False}, "application"),  # unknown size
]


@pytest.fixture(scope="module")
def route_results(tmp_path_factory):
    return screen_each(tmp_path_factory, ROUTE_CASES, lambda city, unit, _: city.unit(**unit))


@pytest.mark.parametrize(("unit", "route"), ROUTE_CASES)
def test_route(route_results, unit, route):
    row = route_results[ROUTE_CASES.index((unit, route))]["inclusive"]
    assert (row["eligible"], row["route"]) == ("true", route)


# --------------------------------------------------------------------------------------------
# Size (工信部联企业〔2011〕300号) with three-valued logic
# --------------------------------------------------------------------------------------------
W = 10_000  # yuan per 10k yuan


def yuan(ten_thousands: float | None, minus_fen: int = 0) -> str:
    if ten_thousands is None:
        return ""
    fen = round(ten_thousands * W * 100) - minus_fen
    return f"{fen // 100}.{fen % 100:02d}"


SIZE_CASES = [
    # industry: emp < 1000 or rev < 40000 → SME; medium 300 & 2000; small 20 & 300
    ("13", 1000, yuan(40000), "", "large"),
    ("13", 1000, yuan(40000, 1), "", "medium"),
    ("13", 300, yuan(2000), "", "medium"),
    ("13", 299, yuan(2000), "", "small"),
    ("13", 20, yuan(300), "", "small"),
    ("13", 19, yuan(300), "", "micro"),
    ("13", 20, yuan(300, 1), "", "micro"),
    ("13", 19, "", "", "micro"),      # a micro test is true: decided without revenue
    ("13", 500, "", "", "sme"),       # SME by employees, class undecidable
    ("13", 1000, "", "", "unknown"),  # upper test undecidable
    ("44", 1000, yuan(40000), "", "large"),
    ("06", 25, yuan(400), "", "small"),
    # agriculture: revenue only
    ("01", 5, yuan(20000), "", "large"),
    ("05", 5000, yuan(20000, 1), "", "medium"),
    ("03", 5, yuan(500), "", "medium"),
    ("02", 5, yuan(500, 1), "", "small"),
    ("01", 5, yuan(50), "", "small"),
    ("01", 5, yuan(50, 1), "", "micro"),
    ("01", 5, "", "", "unknown"),
    # construction: revenue and assets
    ("47", 50, yuan(80000), yuan(80000), "large"),
    ("50", 50, yuan(80000), yuan(80000, 1), "medium"),
    ("48", 50, yuan(6000, 1), yuan(5000), "small"),
    ("49", 50, yuan(300), yuan(300), "small"),
    ("47", 50, yuan(300), yuan(300, 1), "micro"),
    ("47", 50, yuan(6000), "", "sme"),
    ("47", 50, yuan(300, 1), "", "micro"),
    ("47", 50, yuan(90000), "", "unknown"),
    # wholesale
    ("51", 200, yuan(40000), "", "large"),
    ("51", 20, yuan(5000), "", "medium"),
    ("51", 5, yuan(1000), "", "small"),
    ("51", 4, "", "", "micro"),
    # retail
    ("52", 300, yuan(20000), "", "large"),
    ("52", 50, yuan(500), "", "medium"),
    ("52", 10, yuan(100, 1), "", "micro"),
    # transport
    ("53", 1000, yuan(30000), "", "large"),
    ("58", 300, yuan(3000), "", "medium"),
    ("54", 20, yuan(200), "", "small"),
    # warehousing
    ("59", 200, yuan(30000), "", "large"),
    ("59", 100, yuan(1000), "", "medium"),
    ("59", 199, yuan(999), "", "small"),
    # postal
    ("60", 1000, yuan(30000), "", "large"),
    ("60", 300, yuan(2000), "", "medium"),
    ("60", 20, yuan(100), "", "small"),
    # accommodation and catering
    ("61", 300, yuan(10000), "", "large"),
    ("62", 100, yuan(2000), "", "medium"),
    ("62", 300, yuan(10000), "", "large"),  # retail would say medium (rev < 20000)
    ("61", 500, yuan(10000, 1), "", "medium"),  # "other" would say large (emp ≥ 300)
    ("62", 9, yuan(5000), "", "micro"),
    # information transmission
    ("63", 2000, yuan(100000), "", "large"),
    ("64", 1999, yuan(100000), "", "medium"),
    ("64", 10, yuan(100), "", "small"),
    # software and IT services
    ("65", 300, yuan(10000), "", "large"),
    ("65", 100, yuan(1000), "", "medium"),
    ("65", 10, yuan(50), "", "small"),
    ("65", 10, yuan(50, 1), "", "micro"),
    # real-estate development: revenue and assets
    ("7010", 5, yuan(200000), yuan(10000), "large"),
    ("7010", 5, yuan(1000), yuan(5000), "medium"),
    ("7010", 5, yuan(100), yuan(2000), "small"),
    ("7010", 5, yuan(100), yuan(2000, 1), "micro"),
    ("7010", 5000, "", "", "unknown"),
    # property management
    ("7020", 1000, yuan(5000), "", "large"),
    ("7020", 999, yuan(5000), "", "medium"),
    ("7020", 100, yuan(500), "", "small"),
    ("7020", 99, "", "", "micro"),
    # leasing and business services: employees and assets
    ("71", 300, yuan(1), yuan(120000), "large"),
    ("72", 100, "", yuan(8000), "medium"),
    ("72", 10, "", yuan(100), "small"),
    ("72", 100, "", "", "sme"),
    ("72", 9, "", "", "micro"),
    # other: employees only (including division 70 outside 7010/7020)
    ("80", 300, "", "", "large"),
    ("80", 299, "", "", "medium"),
    ("70", 100, "", "", "medium"),
    ("7040", 99, "", "", "small"),
    ("94", 10, "", "", "small"),
    ("94", 9, "", "", "micro"),
]


@pytest.fixture(scope="module")
def size_results(tmp_path_factory):
    return screen_each(tmp_path_factory, SIZE_CASES,
                       lambda city, industry, employees, revenue, assets, _: city.unit(
                           industry_code=industry, baseline=employees, revenue=revenue,
                           total_assets=assets))


@pytest.mark.parametrize(("industry", "employees", "revenue", "assets", "size"), SIZE_CASES)
def test_size_classes(size_results, industry, employees, revenue, assets, size):
    case = SIZE_CASES.index((industry, employees, revenue, assets, size))
    assert size_results[case]["inclusive"]["size"] == size


def test_employees_are_the_mean_insured_over_the_months_of_y(tmp_path):
    city = City()
    half = {f"2019-{m:02d}": {"insured": 299} for m in range(1, 7)}
    # other industry: mean(6 × 299, 6 × 300) = 299.5 < 300 → SME (medium); 2018-12 and 2020
    # rows are not months of Y.
    mean_below = city.unit(industry_code="80", baseline=5000, insured=300, months=half)
    exactly = city.unit(industry_code="80", baseline=10, insured=300)
    result = city.screen(tmp_path)
    assert inclusive(result, mean_below)["size"] == "medium"
    assert inclusive(result, exactly)["size"] == "large"


def test_revenue_comes_from_the_tax_row_of_y_only(tmp_path):
    city = City()
    # 2018 revenue would make it large; for 2019 there is no row → unknown
    code = city.unit(industry_code="01", revenue=yuan(30000), tax_year="2018")
    assert inclusive(city.screen(tmp_path), code)["size"] == "unknown"


def test_no_contribution_row_in_y_leaves_employees_unknown(tmp_path):
    city = City()
    code = city.unit(industry_code="80", months={f"2019-{m:02d}": None for m in range(1, 13)})
    row = inclusive(city.screen(tmp_path), code)
    # baseline 100 (2018-12), no December row → year-end 0 → rate 1 (interpretation)
    assert (row["size"], row["failed"]) == ("unknown", "layoff_rate;paid_12_months")


# --------------------------------------------------------------------------------------------
# Reading the feeds
# --------------------------------------------------------------------------------------------
def test_yuan_text_becomes_exact_fen():
    values = pd.Series(["0.29", "0.1", "1000", "12.30", "+5.5", "-3.07", None], dtype=str)
    fen = ref.yuan_to_fen(values, "test")
    assert fen.tolist()[:6] == [29, 10, 100000, 1230, 550, -307]
    assert pd.isna(fen.iloc[6])


@pytest.mark.parametrize("text", ["1.234", "1,000.00", "1e3", "¥5", "abc", "."])
def test_malformed_yuan_is_refused(text):
    with pytest.raises(ValueError):
        ref.yuan_to_fen(pd.Series([text], dtype=str), "test")


def test_a_repeated_key_is_an_error(tmp_path):
    city = City()
    code = city.unit()
    city.add("contributions", uscc=code, month="2019-03", insured="100", due="1.00", paid="1.00")
    with pytest.raises(ValueError, match="repeated key"):
        ref.screen_2020(city.write(tmp_path / "feeds"), as_of=AS_OF)


def test_an_unknown_column_is_an_error(tmp_path):
    city = City()
    city.unit()
    city.rows["registry"][0]["abnromal"] = "true"
    with pytest.raises(ValueError, match="unknown columns"):
        ref.screen_2020(city.write(tmp_path / "feeds"), as_of=AS_OF)


def test_a_bom_and_boolean_spellings_are_accepted(tmp_path):
    city = City()
    code = city.unit(is_labour_dispatch="0")
    folder = city.write(tmp_path / "feeds")
    units = folder / "units.csv"
    units.write_bytes("\ufeff".encode() + units.read_bytes())
    frame = ref.screen_2020(folder, as_of=AS_OF)
    row = frame[(frame["uscc"] == code) & (frame["program"] == "inclusive-2020")].iloc[0]
    assert row["route"] == "automatic"
