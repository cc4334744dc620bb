"""The data contract of FEEDS.md as data: every feed, its key and its typed columns.

This module is the one place that says what a feed set may hold. Readers, validation, the
normaliser and the snapshot store read it; none of them names a column of their own. Change the
contract here (and in FEEDS.md), then bump ``CONTRACT_VERSION``: snapshots record the version
they were validated against.

A column's ``kind`` fixes both the check applied to its text and the normalised type it is
stored as (see ``Column.sql_type``): money becomes integer fen in a column named ``<name>_fen``,
dates DATE, booleans BOOLEAN, counts and years BIGINT, everything else text (identifiers and
months keep their leading zeros).
"""

from dataclasses import dataclass
from enum import StrEnum

CONTRACT_VERSION = "2"  # 2: the optional person-level feeds of skills training

FORMATS = ("csv", "xlsx", "parquet")
"""File suffixes a feed may come in (lower case; the suffix is matched case-insensitively)."""


class Kind(StrEnum):
    """What a column holds, which decides how it is checked and stored."""

    USCC = "uscc"                # 18-character unified social credit code, GB 32100 check char
    TEXT = "text"                # free text
    ENUM = "enum"                # one of ``Column.values``
    REGION = "region"            # 6-digit GB/T 2260 administrative division code
    INDUSTRY = "industry"        # GB/T 4754-2017 division (2 digits) or class (4 digits)
    DATE = "date"                # YYYY-MM-DD
    MONTH = "month"              # YYYY-MM
    BOOL = "bool"                # true/false, 1/0, 是/否
    YUAN = "yuan"                # money in yuan, at most 2 decimals, not negative
    COUNT = "count"              # whole number ≥ 0
    YEAR = "year"                # four-digit year
    DIGITS = "digits"            # digits only (bank account numbers)
    PHONE = "phone"              # 11-digit mainland mobile number
    RESIDENT_ID = "resident_id"  # 18-digit resident ID, GB 11643 check digit
    OCCUPATION = "occupation"    # occupation code of the 2022 classification, e.g. 6-18-01-01


_SQL_TYPES = {
    Kind.DATE: "DATE",
    Kind.BOOL: "BOOLEAN",
    Kind.YUAN: "BIGINT",
    Kind.COUNT: "BIGINT",
    Kind.YEAR: "BIGINT",
}


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a feed.

    ``required`` columns must be present and every cell filled; optional ones may be absent or
    have empty cells. ``not_future``: a date, month or year that cannot lie after the import date
    (something that already happened). ``not_before_insured``: a contribution month may not
    precede the month the unit joined unemployment insurance (``units.ui_insured_since``).
    ``references``: the feed whose key the value must be (a person in ``trainees``); a feed
    with such a column needs that feed in the same set.
    """

    name: str
    kind: Kind
    label: str
    required: bool = True
    values: tuple[str, ...] = ()
    not_future: bool = False
    not_before_insured: bool = False
    references: str | None = None  # a feed whose key this column must name (``trainees``)

    @property
    def normalised_name(self) -> str:
        """Name in the snapshot: money columns carry their unit, ``due`` → ``due_fen``."""
        return f"{self.name}_fen" if self.kind is Kind.YUAN else self.name

    @property
    def sql_type(self) -> str:
        """DuckDB type of the normalised column."""
        return _SQL_TYPES.get(self.kind, "VARCHAR")


@dataclass(frozen=True, slots=True)
class Feed:
    """One feed: a file of a feed set, from one department.

    ``key``: the columns that identify a row; two rows with the same key are an error.
    ``ordered``: (earlier, later) column pairs where the later date may not precede the earlier.
    """

    name: str
    label: str
    department: str
    required: bool
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    ordered: tuple[tuple[str, str], ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def required_columns(self) -> tuple[Column, ...]:
        return tuple(column for column in self.columns if column.required)

    @property
    def references_units(self) -> bool:
        """Every feed but ``units`` with a ``uscc`` speaks about units that must be in ``units``."""
        return self.name != "units" and "uscc" in self.column_names

    @property
    def references(self) -> tuple[str, ...]:
        """Feeds other than ``units`` that this feed's rows name, in column order."""
        return tuple(dict.fromkeys(c.references for c in self.columns if c.references))

    @property
    def file_names(self) -> tuple[str, ...]:
        return tuple(f"{self.name}.{suffix}" for suffix in FORMATS)


UNIT_TYPES = ("enterprise", "social_org", "foundation", "social_service", "law_firm",
              "accounting_firm", "individual_business", "government", "public_institution")
SEPARATION_REASONS = ("layoff", "contract_end", "resignation", "retirement", "death", "transfer",
                      "other")
REGISTRY_STATUSES = ("active", "revoked", "cancelled", "liquidating", "bankrupt")
RESTRUCTURE_KINDS = ("conversion", "merger", "split", "reorganisation")
CREDIT_LISTS = ("serious_dishonesty",)
PENALTY_SEVERITIES = ("major", "general")
CERTIFYING_DEPARTMENTS = ("ndrc", "miit", "sasac", "joint")

SKILL_LEVELS = ("1", "2", "3", "4", "5")
"""Levels of vocational skill certificates: 1 高级技师 … 3 高级工, 4 中级工, 5 初级工."""
SUBSIDY_KINDS = ("online_training", "skill_certificate", "on_the_job")

INDUSTRY_DIVISIONS = frozenset(f"{number:02d}" for number in range(1, 98))
"""GB/T 4754-2017 divisions (行业大类) 01–97: sections A–T cover them without gaps."""


def _uscc() -> Column:
    return Column("uscc", Kind.USCC, "统一社会信用代码")


def _person() -> Column:
    return Column("resident_id", Kind.RESIDENT_ID, "公民身份号码", references="trainees")


FEEDS: dict[str, Feed] = {feed.name: feed for feed in (
    Feed("units", "参保单位", "人社/社保经办机构 UI agency", True, ("uscc",), (
        _uscc(),
        Column("name", Kind.TEXT, "单位名称"),
        Column("unit_type", Kind.ENUM, "单位类型", values=UNIT_TYPES),
        Column("region_code", Kind.REGION, "行政区划代码"),
        Column("industry_code", Kind.INDUSTRY, "行业代码"),
        Column("registered_on", Kind.DATE, "成立登记日期", not_future=True),
        Column("ui_insured_since", Kind.DATE, "参加失业保险日期", not_future=True),
        Column("is_labour_dispatch", Kind.BOOL, "是否劳务派遣单位"),
        Column("legal_rep_name", Kind.TEXT, "法定代表人姓名"),
        Column("legal_rep_id", Kind.RESIDENT_ID, "法定代表人身份证号码", required=False),
        Column("contact_phone", Kind.PHONE, "联系手机"),
        Column("clerk_name", Kind.TEXT, "社保经办人姓名", required=False),
        Column("clerk_phone", Kind.PHONE, "社保经办人手机", required=False),
        Column("bank_name", Kind.TEXT, "开户银行", required=False),
        Column("bank_account", Kind.DIGITS, "银行账号", required=False),
        Column("si_account", Kind.TEXT, "社保缴费账户", required=False),
    )),
    Feed("contributions", "缴费记录", "人社/社保经办机构、税务 UI agency / tax", True,
         ("uscc", "month"), (
        _uscc(),
        Column("month", Kind.MONTH, "费款所属月份", not_future=True, not_before_insured=True),
        Column("insured", Kind.COUNT, "月末参保人数"),
        Column("due", Kind.YUAN, "应缴金额（元）"),
        Column("paid", Kind.YUAN, "实缴金额（元）"),
        Column("paid_on", Kind.DATE, "缴费日期", required=False, not_future=True),
    )),
    Feed("separations", "离职人员", "人社/社保经办机构 UI agency", False,
         ("uscc", "person", "separated_on"), (
        _uscc(),
        Column("person", Kind.TEXT, "人员编号"),
        Column("separated_on", Kind.DATE, "离职日期", not_future=True),
        Column("reason", Kind.ENUM, "离职原因", values=SEPARATION_REASONS),
        Column("claims_benefit", Kind.BOOL, "是否领取失业保险金"),
    )),
    Feed("tax", "纳税信息", "税务 tax", False, ("uscc", "year"), (
        _uscc(),
        Column("year", Kind.YEAR, "年度", not_future=True),
        Column("revenue", Kind.YUAN, "营业收入（元）"),
        Column("total_assets", Kind.YUAN, "资产总额（元）"),
    )),
    Feed("registry", "登记状态", "市场监管 market regulation", True, ("uscc",), (
        _uscc(),
        Column("status", Kind.ENUM, "登记状态", values=REGISTRY_STATUSES),
        Column("abnormal", Kind.BOOL, "是否列入经营异常名录"),
        Column("restructured_on", Kind.DATE, "改制重组日期", required=False, not_future=True),
        Column("restructure_kind", Kind.ENUM, "改制重组类型", required=False,
               values=RESTRUCTURE_KINDS),
    )),
    Feed("credit", "严重失信名单", "发展改革 development & reform", False, ("uscc", "listed_on"), (
        _uscc(),
        Column("list", Kind.ENUM, "名单类型", values=CREDIT_LISTS),
        Column("listed_on", Kind.DATE, "列入日期", not_future=True),
        Column("removed_on", Kind.DATE, "移出日期", required=False),
    ), ordered=(("listed_on", "removed_on"),)),
    Feed("environment", "环境行政处罚", "生态环境 ecology & environment", False,
         ("uscc", "penalty_on"), (
        _uscc(),
        Column("penalty_on", Kind.DATE, "处罚日期", not_future=True),
        Column("severity", Kind.ENUM, "处罚等级", values=PENALTY_SEVERITIES),
    )),
    Feed("difficulty", "困难企业认定", "发改/工信/国资 DRC / MIIT / SASAC", False,
         ("uscc", "valid_from"), (
        _uscc(),
        Column("certified_by", Kind.ENUM, "认定部门", values=CERTIFYING_DEPARTMENTS),
        Column("valid_from", Kind.DATE, "有效期起"),
        Column("valid_to", Kind.DATE, "有效期止"),
    ), ordered=(("valid_from", "valid_to"),)),
    # Person-level feeds of skills training (docs/training.md). Optional for a unit screening;
    # a person screening needs ``trainees`` and the feed its program is about.
    Feed("trainees", "参训人员", "人社/就业服务机构 employment service", False,
         ("resident_id",), (
        Column("resident_id", Kind.RESIDENT_ID, "公民身份号码"),
        Column("name", Kind.TEXT, "姓名"),
        Column("phone", Kind.PHONE, "手机号码"),
        Column("region_code", Kind.REGION, "参保地行政区划代码"),
        Column("insured", Kind.BOOL, "是否正在参加失业保险"),
        Column("insured_months", Kind.COUNT, "累计参加失业保险月数"),
        Column("si_card_account", Kind.DIGITS, "社会保障卡银行账号", required=False),
    )),
    Feed("course_completions", "线上培训结业", "线上职业技能培训平台 training platforms", False,
         ("resident_id", "platform", "course_id"), (
        _person(),
        Column("platform", Kind.TEXT, "培训平台"),
        Column("course_id", Kind.TEXT, "课程编号（课程目录统一编号）"),
        Column("occupation_code", Kind.OCCUPATION, "职业（工种）代码"),
        Column("hours", Kind.COUNT, "学时"),
        Column("completed_on", Kind.DATE, "结业日期", not_future=True),
        Column("certificate_id", Kind.TEXT, "培训合格证明编号", required=False),
    )),
    Feed("certificates", "职业技能等级证书", "技能评价机构 skill assessment bodies", False,
         ("certificate_id",), (
        Column("certificate_id", Kind.TEXT, "证书编号"),
        _person(),
        Column("level", Kind.ENUM, "等级（1–5 级）", values=SKILL_LEVELS),
        Column("occupation_code", Kind.OCCUPATION, "职业（工种）代码"),
        Column("issued_on", Kind.DATE, "发证日期", not_future=True),
    )),
    Feed("training_rosters", "以工代训名册", "人社/社保经办机构 UI agency", False,
         ("uscc", "resident_id", "month"), (
        _uscc(),
        _person(),
        Column("month", Kind.MONTH, "以工代训月份", not_future=True),
    )),
    Feed("paid_subsidies", "已发放培训补贴", "职业技能提升行动专账 training fund ledger", False,
         ("subsidy", "reference", "resident_id"), (
        Column("subsidy", Kind.ENUM, "补贴类别", values=SUBSIDY_KINDS),
        Column("reference", Kind.TEXT, "补贴对象编号（课程编号、证书编号或月份）"),
        _person(),
        Column("paid_on", Kind.DATE, "发放日期", not_future=True),
        Column("amount", Kind.YUAN, "发放金额（元）"),
    )),
)}
"""Every feed of FEEDS.md, in its order."""


def feed_for_file_stem(stem: str) -> Feed | None:
    """The feed a file name stem stands for (``Units`` → units); ``None`` if it names none."""
    return FEEDS.get(stem.lower())
