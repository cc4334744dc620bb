"""Policy files of person programs: subject, beneficiary and limit are checked like the rest."""

from datetime import date
from pathlib import Path

import pytest

from wengang.policy import PolicyFileError, load_policy
from wengang.policy.loader import load_program

SHIPPED = Path(__file__).parents[2] / "src/wengang/policy/programs"


def _broken(tmp_path: Path, name: str, old: str, new: str) -> Path:
    text = (SHIPPED / f"{name}.yaml").read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / f"{name}.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_the_training_programs_load_with_their_subject_beneficiary_and_references():
    policy = load_policy()
    expected = {"training-online-2020": ("course_completion", "person", None),
                "training-onjob-2020": ("roster_month", "unit", "months_cap"),
                "training-certificate-2024": ("certificate", "person", "yearly_limit")}
    for program_id, (subject, beneficiary, limit) in expected.items():
        program = policy.program(program_id)
        assert (program.subject, program.beneficiary) == (subject, beneficiary)
        assert (program.limit.rule if program.limit else None) == limit
        assert program.kind == "training" and program.legal_basis
        assert all(p.reference and p.description for p in program.parameters.values())


def test_unit_programs_keep_the_unit_subject_and_no_limit():
    for program in load_policy().programs.values():
        if program.kind != "training":
            assert (program.subject, program.beneficiary, program.limit) == ("unit", "unit", None)


def test_the_certificate_standards_are_ceilings_a_city_cannot_exceed():
    from wengang.policy import OverrideNotAllowed

    policy = load_policy()
    on = date(2024, 6, 30)
    assert str(policy.resolve("training-certificate-2024", on=on, region_code="360100",
                              settings={"standard_level_3": "2000"})
               .parameters["standard_level_3"]) == "2000"
    with pytest.raises(OverrideNotAllowed):
        policy.resolve("training-certificate-2024", on=on, region_code="360100",
                       settings={"standard_level_3": "2000.01"})


@pytest.mark.parametrize(("name", "old", "new", "message"), [
    ("training-online-2020", "subject: course_completion", "subject: course", "未知的筛查对象"),
    ("training-online-2020", "beneficiary: person", "beneficiary: unit", "受益对象"),
    ("training-onjob-2020", "beneficiary: unit", "beneficiary: person", "受益对象"),
    ("training-certificate-2024", "  max: max_per_year", "  max: standard_level_5",
     "count"),
    ("training-certificate-2024", "  per: person_year", "  per: unit", "不能按 unit 设上限"),
    ("training-certificate-2024", "  rule: yearly_limit", "  rule: level", "重复"),
    ("training-online-2020", "condition: has_training_certificate",
     "condition: months_paid_in_full >= 12", "未知的名称"),
    ("training-certificate-2024", "  per: person_year\n", "  per: person_year\n  every: 2\n",
     "未知的键"),
])
def test_a_mistake_in_a_person_program_names_file_line_and_reason(tmp_path, name, old, new,
                                                                 message):
    path = _broken(tmp_path, name, old, new)
    with pytest.raises(PolicyFileError) as caught:
        load_program(path)
    assert caught.value.path == str(path) and caught.value.line
    assert message in str(caught.value)


def test_a_unit_program_may_not_name_person_features(tmp_path):
    path = _broken(tmp_path, "inclusive-2020", "condition: arrears_months = 0",
                   "condition: insured_months >= 12")
    with pytest.raises(PolicyFileError, match="未知的名称"):
        load_program(path)
