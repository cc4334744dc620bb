"""Policy files load strictly: each mistake is reported with file, line and reason."""

from datetime import date
from pathlib import Path

import pytest

from wengang.policy import (
    ExpressionNotAllowed,
    OverrideNotAllowed,
    ParameterNotInForce,
    PolicyFileError,
    UnknownParameter,
    UnknownProgram,
    load_policy,
)
from wengang.policy.expressions import parse_expression
from wengang.policy.loader import load_program

SHIPPED = Path(__file__).parents[2] / "src/wengang/policy/programs"
EXAMPLES = Path(__file__).parents[2] / "docs/examples/policy"


def test_every_shipped_program_loads_with_a_reference_for_each_parameter():
    policy = load_policy()
    assert {"inclusive-2019", "inclusive-2020", "inclusive-2021", "inclusive-2022", "inclusive-2023",
            "inclusive-2024", "difficult-2019", "difficult-2020"} <= set(policy.programs)
    for program in policy.programs.values():
        assert program.legal_basis
        for parameter in program.parameters.values():
            assert parameter.reference and parameter.description and parameter.unit


@pytest.mark.parametrize(("day", "ratio"), [("2022-05-30", "0.3"), ("2022-05-31", "0.5")])
def test_the_2022_large_enterprise_ratio_rises_on_31_may(day: str, ratio: str):
    resolved = load_policy().resolve("inclusive-2022", on=date.fromisoformat(day), region_code="360100")
    assert str(resolved.parameters["ratio_large"]) == ratio


def test_a_region_override_applies_to_its_own_units_only():
    policy = load_policy(EXAMPLES)
    on = date(2022, 6, 1)
    assert str(policy.resolve("inclusive-2022", on=on, region_code="360102").parameters["ratio_sme"]) == "0.6"
    assert str(policy.resolve("inclusive-2022", on=on, region_code="360200").parameters["ratio_sme"]) == "0.9"
    assert policy.resolve("inclusive-2020", on=date(2020, 4, 15), region_code="360100").parameters["exclude_abnormal"] is True


def test_the_documented_local_program_screens_units(tmp_path):
    import csv

    from tests.screening.builder import Unit, write_feeds
    from wengang.screening import folder_source, screen

    feeds = write_feeds(tmp_path / "feeds", [Unit(1, insured=10), Unit(2, insured=60)],
                        year=2019, as_of="2020-04-15")
    run = screen(folder_source(feeds), programs=["smallfirm-2020"], as_of=date(2020, 4, 15),
                 region_code="360100", policy=load_policy(EXAMPLES))
    run.write(tmp_path / "out.csv")
    with (tmp_path / "out.csv").open(encoding="utf-8") as handle:
        first, second = csv.DictReader(handle)
    assert (first["eligible"], first["amount"]) == ("true", "3000.00")
    assert "年末参保 10 人 × 每人 300.00 元 = 3,000.00 元" in first["explanation"]
    assert (second["eligible"], second["failed"]) == ("false", "small_firm")


def test_set_beats_the_region_and_the_national_value():
    resolved = load_policy(EXAMPLES).resolve("inclusive-2022", on=date(2022, 6, 1), region_code="360100",
                                             settings={"ratio_sme": "0.5"})
    assert str(resolved.parameters["ratio_sme"]) == "0.5"


def test_a_local_ratio_above_the_national_ceiling_is_refused():
    with pytest.raises(OverrideNotAllowed, match="上限"):
        load_policy().resolve("inclusive-2022", on=date(2022, 6, 1), region_code="360100",
                              settings={"ratio_sme": "0.91"})


def test_a_ratio_at_the_ceiling_is_accepted():
    resolved = load_policy().resolve("inclusive-2022", on=date(2022, 6, 1), region_code="360100",
                                     settings={"ratio_sme": "0.90"})
    assert str(resolved.parameters["ratio_sme"]) == "0.90"


@pytest.mark.parametrize("pair", [("layoff_strategy", "headcount"), ("exclude_abnormal", "maybe"),
                                  ("ratio_sme", "90%"), ("monthly_benefit", "1585.123")])
def test_a_set_value_that_does_not_fit_its_unit_is_refused(pair):
    name, value = pair
    with pytest.raises(OverrideNotAllowed):
        load_policy().resolve("difficult-2020" if name == "monthly_benefit" else "inclusive-2020",
                              on=date(2020, 4, 15), region_code="360100", settings={name: value})


def test_a_set_name_no_chosen_program_has_is_refused():
    with pytest.raises(UnknownParameter, match="ratio_smee"):
        load_policy().check_settings(["inclusive-2020"], {"ratio_smee": "0.9"})


def test_an_unknown_program_is_named_in_the_error():
    with pytest.raises(UnknownProgram, match="inclusive-2030"):
        load_policy().program("inclusive-2030")


def test_a_parameter_asked_before_it_starts_has_no_value():
    program = load_policy().program("inclusive-2020")
    with pytest.raises(ParameterNotInForce):
        program.resolve(on=date(2019, 6, 1))


def _broken(tmp_path: Path, old: str, new: str, name: str = "inclusive-2020") -> Path:
    text = (SHIPPED / f"{name}.yaml").read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / f"{name}.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, fragment: str) -> int:
    """The last line holding ``fragment`` (a duplicate key is reported where it repeats)."""
    return [n for n, line in enumerate(path.read_text().splitlines(), 1) if fragment in line][-1]


@pytest.mark.parametrize(("old", "new", "fragment", "message"), [
    ("  ratio_sme:\n", "  ratio_large:\n", "  ratio_large:", "重复的键"),
    ("    unit: fraction\n    reference: 国办发〔2020〕6号\n    ceiling: true",
     "    unit: fraction\n    reference: 国办发〔2020〕6号\n    cieling: true", "cieling", "未知的键"),
    ("      2020-01-01: 1.0", "      2020-02-30: 1.0", "2020-02-30", "日期不正确"),
    ("      2020-01-01: 1.0", "      2020-01-01: 1.5", "1.5", "fraction"),
    ("condition: arrears_months = 0", "condition: arrears_months = (SELECT 1)", "(SELECT 1)", "Subquery"),
    ("condition: arrears_months = 0", "condition: arrears_monthz = 0", "arrears_monthz", "未知的名称"),
    ("condition: arrears_months = 0", "condition: read_csv('/etc/passwd') IS NULL", "read_csv", "不允许"),
    ("condition: arrears_months = 0", "condition: arrears_months = 0; DROP TABLE units",
     "DROP TABLE", "不允许"),
    ("fail: 截至筛查日有 {arrears_months:int}", "fail: 截至筛查日有 {arrears_monthz:int}", "arrears_monthz",
     "未知的名称"),
    ("fail: 截至筛查日有 {arrears_months:int}", "fail: 截至筛查日有 {arrears_months:money}", ":money",
     "格式"),
])
def test_a_mistake_in_a_program_file_names_file_line_and_reason(tmp_path, old, new, fragment, message):
    path = _broken(tmp_path, old, new)
    with pytest.raises(PolicyFileError) as caught:
        load_program(path)
    error = caught.value
    assert error.path == str(path)
    assert error.line == _line_of(path, fragment), str(error)
    assert message in str(error)


def test_a_file_whose_id_differs_from_its_name_is_refused(tmp_path):
    path = _broken(tmp_path, "id: inclusive-2020", "id: inclusive-2021")
    with pytest.raises(PolicyFileError, match="文件名"):
        load_program(path)


def test_a_yaml_syntax_error_names_the_line(tmp_path):
    path = _broken(tmp_path, "kind: inclusive", "kind: [inclusive")
    with pytest.raises(PolicyFileError, match="YAML"):
        load_program(path)


@pytest.mark.parametrize("text", [
    "unit_type IN ('enterprise')", "CASE WHEN baseline_insured <= 30 THEN 0.2 ELSE 0.055 END",
    "coalesce(mean_insured, 0) * 2 >= 1", "NOT credit_listed AND size <> 'large'",
    "list_contains(['a'], unit_type)",
])
def test_allowed_expressions_parse(text):
    parse_expression(text, names=["unit_type", "baseline_insured", "mean_insured", "credit_listed", "size"])


@pytest.mark.parametrize("text", [
    "(SELECT count(*) FROM units) > 0", "units.uscc IS NULL", "getenv('HOME') = ''",
    "CAST(unit_type AS INTEGER) = 1", "unit_type LIKE '%'", "", "1 +",
])
def test_disallowed_expressions_are_refused(text):
    with pytest.raises(ExpressionNotAllowed):
        parse_expression(text, names=["unit_type"])
