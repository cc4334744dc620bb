"""What a program decides about, one row at a time: a unit, or a person's training record.

The refunds decide per unit. Skills-training programs decide per record of a person: a course
completion, a skill certificate, a month on an enterprise's on-the-job training roster (以工代训).
Each subject has its own features (the names its policy expressions may use; screening computes
them, ``screening/persons.py``), says who may be paid (the beneficiary) and over which groups a
program may cap its payments (``limit`` in a policy file, e.g. three certificates per person per
year, six roster months per person).
"""

from dataclasses import dataclass
from types import MappingProxyType

from .features import FEATURES, Feature


@dataclass(frozen=True)
class Subject:
    name: str
    zh: str
    en: str
    features: MappingProxyType
    beneficiaries: tuple[str, ...]  # who a program of this subject may pay
    limit_groups: tuple[str, ...] = ()  # over what a program may cap its payments


def _features(*features: Feature) -> MappingProxyType:
    return MappingProxyType({feature.name: feature for feature in features})


_PERSON = (
    Feature("region_code", "text", "参保地行政区划代码", "region where the person is insured"),
    Feature("insured", "bool", "正在参加失业保险", "currently insured against unemployment"),
    Feature("insured_months", "int", "累计参加失业保险月数", "months insured against unemployment"),
    Feature("has_card_account", "bool", "有社会保障卡银行账户", "has a social-security card account"),
)

SUBJECTS: dict[str, Subject] = {s.name: s for s in (
    Subject("unit", "参保单位", "insured unit", MappingProxyType(FEATURES), ("unit",)),
    Subject("course_completion", "线上培训结业记录", "online course completion", _features(
        *_PERSON,
        Feature("platform", "text", "培训平台", "training platform"),
        Feature("course_id", "text", "课程编号", "course id"),
        Feature("occupation_code", "text", "职业（工种）代码", "occupation code"),
        Feature("hours", "int", "学时", "class hours"),
        Feature("completed_on", "date", "结业日期", "completed on"),
        Feature("completed_year", "text", "结业年度", "year of completion"),
        Feature("has_training_certificate", "bool", "取得培训合格证明", "holds a training certificate"),
        Feature("earlier_platform", "text", "此前完成同一课程的平台", "platform of an earlier completion"),
        Feature("paid_before", "bool", "同一课程已发放过补贴", "this course was paid before"),
    ), ("person",), ("person", "person_year")),
    Subject("certificate", "职业技能等级证书", "skill certificate", _features(
        *_PERSON,
        Feature("certificate_id", "text", "证书编号", "certificate id"),
        Feature("level", "int", "证书等级（1–5）", "certificate level (1-5)"),
        Feature("occupation_code", "text", "职业（工种）代码", "occupation code"),
        Feature("issued_on", "date", "发证日期", "issued on"),
        Feature("issued_year", "text", "发证年度", "year of issue"),
        Feature("months_since_issued", "int", "发证至筛查日的整月数", "whole months from issue to as_of"),
        Feature("paid_before", "bool", "该证书已发放过补贴", "this certificate was paid before"),
        Feature("earlier_same_level", "text", "同职业同等级的更早证书编号",
                "an earlier certificate of the same occupation and level"),
    ), ("person",), ("person", "person_year")),
    Subject("roster_month", "以工代训人员月份", "on-the-job training person-month", _features(
        *_PERSON,
        Feature("uscc", "text", "统一社会信用代码", "unified social credit code"),
        Feature("unit_type", "text", "单位类型", "unit type"),
        Feature("month", "text", "以工代训月份", "month of training"),
        Feature("unit_insured_in_month", "bool", "单位当月参加失业保险并缴费",
                "the unit was insured and contributing that month"),
        Feature("credit_listed", "bool", "单位列入严重失信名单", "unit on the serious-dishonesty list"),
        Feature("registry_status", "text", "单位登记状态", "unit registration status"),
        Feature("other_unit", "text", "同月已在名册上的其他单位",
                "another unit rostering the person that month"),
        Feature("paid_before", "bool", "该人员该月已发放过补贴", "this person-month was paid before"),
    ), ("unit",), ("person", "person_year")),
)}
"""Every subject a program may decide about, by the name a policy file gives (``subject:``)."""

LIMIT_NAMES = ("limit_rank", "limit_prior")
"""What a limit's explanation may name besides features: the row's rank among the group's
rows that pass every rule, and the payments already made in that group."""
