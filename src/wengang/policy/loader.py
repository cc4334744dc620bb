"""Strict loading of policy files: every problem names the file, the line and what is wrong.

Like OpenFisca's parameter loader: duplicate keys, unknown keys, bad dates, values that do not
fit their unit and expressions outside the allow-list are errors, never silently ignored.
Numbers are read from the YAML text itself (not through floats), so 0.055 stays exactly 0.055.
"""

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import ExpressionNotAllowed, PolicyFileError
from .expressions import Value, parse_expression
from .features import CONTEXT_NAMES
from .model import UNITS, Limit, Parameter, Program, Rule, Stacking
from .subjects import LIMIT_NAMES, SUBJECTS, Subject
from .templates import parse_template

RULE_ID = re.compile(r"^[a-z][a-z0-9_]*$")
PROGRAM_ID = re.compile(r"^[a-z][a-z0-9-]*-(19|20)[0-9]{2}$")
_YUAN = re.compile(r"^\d+(\.\d{1,2})?$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _compose(text: str) -> Node | None:
    """The node tree of ``text``, by libyaml where installed (4× faster; the same nodes).

    A file that does not parse is parsed again in Python, whose messages and lines the
    errors have always given.
    """
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            return yaml.compose(text, Loader=fast)
        except yaml.YAMLError:
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader)


class _File:
    """One YAML file being read: node helpers that raise errors with file and line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.text = path.read_text(encoding="utf-8")
        self.sha256 = hashlib.sha256(self.text.encode()).hexdigest()
        try:
            self.root = _compose(self.text)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            raise PolicyFileError(str(path), mark.line + 1 if mark else None,
                                  f"YAML 语法错误：{getattr(error, 'problem', error)}",
                                  f"YAML syntax error: {getattr(error, 'problem', error)}") from None
        if self.root is None:
            raise PolicyFileError(str(path), None, "文件为空", "the file is empty")

    def error(self, node: Node, zh: str, en: str) -> PolicyFileError:
        return PolicyFileError(str(self.path), node.start_mark.line + 1, zh, en)

    def mapping(self, node: Node, *, required: tuple[str, ...] = (), optional: tuple[str, ...] = (),
                any_keys: bool = False) -> dict[str, Node]:
        if not isinstance(node, MappingNode):
            raise self.error(node, "此处应为键值映射", "expected a mapping here")
        result: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if key is None:
                raise self.error(key_node, "键必须是文本", "keys must be plain text")
            if key in result:
                raise self.error(key_node, f"重复的键 {key}", f"duplicate key {key}")
            if not any_keys and key not in required and key not in optional:
                allowed = ", ".join(required + optional)
                raise self.error(key_node, f"未知的键 {key}（允许：{allowed}）",
                                 f"unknown key {key} (allowed: {allowed})")
            result[key] = value_node
        for key in required:
            if key not in result:
                raise self.error(node, f"缺少必填键 {key}", f"missing required key {key}")
        return result

    def text_of(self, node: Node) -> str:
        if not isinstance(node, ScalarNode):
            raise self.error(node, "此处应为单个值", "expected a single value here")
        return node.value

    def integer(self, node: Node) -> int:
        text = self.text_of(node)
        if not re.fullmatch(r"\d+", text):
            raise self.error(node, f"应为整数：{text}", f"expected a whole number: {text}")
        return int(text)

    def day(self, node: Node) -> date:
        text = self.text_of(node)
        try:
            return date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else _bad()
        except ValueError:
            raise self.error(node, f"日期不正确：{text}（应为 YYYY-MM-DD）",
                             f"bad date {text} (expected YYYY-MM-DD)") from None

    def strings(self, node: Node) -> tuple[str, ...]:
        if not isinstance(node, SequenceNode):
            raise self.error(node, "此处应为列表", "expected a list here")
        return tuple(self.text_of(item) for item in node.value)

    def expression(self, node: Node, names: set[str]):
        try:
            return parse_expression(self.text_of(node), names=names)
        except ExpressionNotAllowed as error:
            raise self.error(node, error.zh, error.en) from None

    def template(self, node: Node, names: set[str]):
        try:
            return parse_template(self.text_of(node), names=names)
        except ExpressionNotAllowed as error:
            raise self.error(node, error.zh.lstrip("："), error.en.lstrip(": ")) from None


def _bad() -> date:
    raise ValueError


def parse_value(text: str, *, unit: str, choices: tuple[str, ...] = ()) -> Value:
    """Parse a parameter value written as text (policy file or ``--set``) for its unit.

    Raises ``ValueError`` with an English reason; callers wrap it with file and line.
    """
    if unit in ("fraction",):
        if not _NUMBER.match(text) or not Decimal(0) <= Decimal(text) <= Decimal(1):
            raise ValueError(f"{text!r} is not a fraction between 0 and 1")
        return Decimal(text)
    if unit == "yuan":
        if not _YUAN.match(text):
            raise ValueError(f"{text!r} is not yuan with at most 2 decimals")
        return Decimal(text)
    if unit in ("count", "working_days"):
        if not re.fullmatch(r"\d+", text):
            raise ValueError(f"{text!r} is not a whole number")
        return int(text)
    if unit == "bool":
        lowered = text.lower()
        if lowered in ("true", "1", "是", "yes"):
            return True
        if lowered in ("false", "0", "否", "no"):
            return False
        raise ValueError(f"{text!r} is not true or false")
    if unit == "choice":
        if text not in choices:
            raise ValueError(f"{text!r} is not one of {', '.join(choices)}")
        return text
    if unit == "list":
        items = tuple(item.strip() for item in text.split(",") if item.strip())
        return items
    raise ValueError(f"unknown unit {unit}")


def _parameter(file: _File, name: str, node: Node) -> Parameter:
    fields = file.mapping(node, required=("description", "unit", "reference", "values"),
                          optional=("description_en", "ceiling", "choices"))
    unit = file.text_of(fields["unit"])
    if unit not in UNITS:
        raise file.error(fields["unit"], f"未知的单位 {unit}（可用：{', '.join(UNITS)}）",
                         f"unknown unit {unit} (one of {', '.join(UNITS)})")
    choices = file.strings(fields["choices"]) if "choices" in fields else ()
    if unit == "choice" and not choices:
        raise file.error(node, "单位为 choice 的参数必须列出 choices", "a choice parameter needs choices")
    values = _dated_values(file, fields["values"], unit=unit, choices=choices)
    ceiling = "ceiling" in fields and parse_value(file.text_of(fields["ceiling"]), unit="bool")
    return Parameter(
        name=name,
        description=file.text_of(fields["description"]),
        description_en=file.text_of(fields["description_en"]) if "description_en" in fields else "",
        unit=unit,
        reference=file.text_of(fields["reference"]),
        values=values,
        ceiling=bool(ceiling),
        choices=choices,
    )


def _dated_values(file: _File, node: Node, *, unit: str, choices: tuple[str, ...]):
    values: list[tuple[date, Value | None]] = []
    file.mapping(node, any_keys=True)  # a mapping without duplicate dates
    for key_node, value_node in node.value:
        start = file.day(key_node)
        if isinstance(value_node, ScalarNode) and value_node.tag.endswith(":null"):
            values.append((start, None))
            continue
        try:
            if unit == "list":
                value: Value = file.strings(value_node)
            else:
                value = parse_value(file.text_of(value_node), unit=unit, choices=choices)
        except (ValueError, InvalidOperation) as error:
            raise file.error(value_node, f"取值不符合单位 {unit}：{error}",
                             f"value does not fit unit {unit}: {error}") from None
        values.append((start, value))
    if not values:
        raise file.error(node, "参数没有任何取值", "the parameter has no values")
    starts = [start for start, _ in values]
    if starts != sorted(starts):
        raise file.error(node, "取值的起始日期必须按时间顺序排列", "start dates must be in ascending order")
    return tuple(values)


PROGRAM_KEYS = ("id", "name", "name_en", "kind", "refund_year", "assessment_year", "legal_basis",
                "parameters", "derived", "rules", "amount", "amount_explanation")
PROGRAM_OPTIONAL = ("automatic_when", "priority_when", "stacking", "subject", "beneficiary",
                    "limit")
KINDS = ("inclusive", "difficult", "local", "training")


def load_program(path: Path) -> Program:
    """Load and check one program file."""
    file = _File(path)
    top = file.mapping(file.root, required=PROGRAM_KEYS, optional=PROGRAM_OPTIONAL)
    program_id = file.text_of(top["id"])
    if not PROGRAM_ID.match(program_id) or program_id != path.stem:
        raise file.error(top["id"], f"项目编号 {program_id} 不合法或与文件名不一致",
                         f"program id {program_id} is malformed or differs from the file name")
    parameters = {name: _parameter(file, name, node)
                  for name, node in file.mapping(top["parameters"], any_keys=True).items()}
    fen_aliases = {f"{name}_fen" for name, p in parameters.items() if p.unit == "yuan"}
    subject = _subject(file, top)
    beneficiary = (file.text_of(top["beneficiary"]) if "beneficiary" in top
                   else subject.beneficiaries[0])
    if beneficiary not in subject.beneficiaries:
        raise file.error(top["beneficiary"],
                         f"{subject.zh}项目的受益对象只能是 {', '.join(subject.beneficiaries)}",
                         f"a {subject.en} program pays {', '.join(subject.beneficiaries)} only")
    names = set(subject.features) | set(CONTEXT_NAMES) | set(parameters) | fen_aliases
    derived = {}
    for name, node in file.mapping(top["derived"], any_keys=True).items():
        if name in names:
            raise file.error(node, f"派生量 {name} 与已有名称重名", f"derived name {name} is already taken")
        derived[name] = file.expression(node, names)
        names.add(name)
    rules = []
    for node in (top["rules"].value if isinstance(top["rules"], SequenceNode) else [top["rules"]]):
        fields = file.mapping(node, required=("id", "description", "condition", "fail"),
                              optional=("passed",))
        rule_id = file.text_of(fields["id"])
        if not RULE_ID.match(rule_id) or rule_id in {r.id for r in rules}:
            raise file.error(fields["id"], f"规则编号 {rule_id} 不合法或重复",
                             f"rule id {rule_id} is malformed or repeated")
        rules.append(Rule(
            id=rule_id,
            description=file.text_of(fields["description"]),
            condition=file.expression(fields["condition"], names),
            fail=file.template(fields["fail"], names),
            passed=file.template(fields["passed"], names) if "passed" in fields else (),
        ))
    stacking = None
    if "stacking" in top:
        fields = file.mapping(top["stacking"], required=("group", "rank"))
        stacking = Stacking(group=file.text_of(fields["group"]), rank=file.integer(fields["rank"]))
    kind = file.text_of(top["kind"])
    if kind not in KINDS:
        raise file.error(top["kind"], f"未知的项目类别 {kind}", f"unknown program kind {kind}")
    limit = _limit(file, top, subject, parameters, names, {rule.id for rule in rules})
    optional_expression: Callable[[str], Any] = (
        lambda key: file.expression(top[key], names) if key in top else None)
    return Program(
        id=program_id,
        name=file.text_of(top["name"]),
        name_en=file.text_of(top["name_en"]),
        kind=kind,
        refund_year=file.integer(top["refund_year"]),
        assessment_year=file.integer(top["assessment_year"]),
        legal_basis=file.strings(top["legal_basis"]),
        parameters=parameters,
        derived=derived,
        rules=tuple(rules),
        amount=file.expression(top["amount"], names),
        amount_explanation=file.template(
            top["amount_explanation"], names | {"amount"} | (set(LIMIT_NAMES) if limit else set())),
        automatic_when=optional_expression("automatic_when"),
        priority_when=optional_expression("priority_when"),
        stacking=stacking,
        source=str(path),
        source_sha256=file.sha256,
        subject=subject.name,
        beneficiary=beneficiary,
        limit=limit,
    )


def _subject(file: _File, top: dict[str, Node]) -> Subject:
    """The program's subject (``unit`` when the file names none)."""
    if "subject" not in top:
        return SUBJECTS["unit"]
    name = file.text_of(top["subject"])
    if name not in SUBJECTS:
        raise file.error(top["subject"], f"未知的筛查对象 {name}（可用：{', '.join(SUBJECTS)}）",
                         f"unknown subject {name} (one of {', '.join(SUBJECTS)})")
    return SUBJECTS[name]


def _limit(file: _File, top: dict[str, Node], subject: Subject, parameters: dict[str, Parameter],
           names: set[str], rule_ids: set[str]) -> Limit | None:
    """A cap on paid rows per group: its rule id, a count parameter and the group."""
    if "limit" not in top:
        return None
    fields = file.mapping(top["limit"], required=("rule", "max", "per", "fail"))
    rule_id, maximum, per = (file.text_of(fields[key]) for key in ("rule", "max", "per"))
    if not RULE_ID.match(rule_id) or rule_id in rule_ids:
        raise file.error(fields["rule"], f"规则编号 {rule_id} 不合法或重复",
                         f"rule id {rule_id} is malformed or repeated")
    if maximum not in parameters or parameters[maximum].unit != "count":
        raise file.error(fields["max"], f"上限 {maximum} 须为单位是 count 的参数",
                         f"max {maximum} must name a parameter whose unit is count")
    if per not in subject.limit_groups:
        allowed = ", ".join(subject.limit_groups) or "—"
        raise file.error(fields["per"], f"{subject.zh}不能按 {per} 设上限（可用：{allowed}）",
                         f"a {subject.en} program cannot cap per {per} (allowed: {allowed})")
    return Limit(rule=rule_id, max=maximum, per=per,
                 fail=file.template(fields["fail"], names | set(LIMIT_NAMES)))




@dataclass(frozen=True)
class RegionOverrides:
    """A locality's choices within the national rules: dated values per program (``*``: all)."""

    region_code: str
    name: str
    reference: str
    values: dict[str, dict[str, tuple[tuple[date, Value | None], ...]]]
    source: str
    source_sha256: str

    def value_on(self, program: Program, name: str, day: date) -> tuple[bool, Value | None]:
        """Return (found, value) for the parameter on ``day``, the program's own entry first."""
        for key in (program.id, "*"):
            dated = self.values.get(key, {}).get(name)
            if dated:
                current, found = None, False
                for start, value in dated:
                    if start <= day:
                        current, found = value, True
                if found and current is not None:
                    return True, current
        return False, None


def load_region_overrides(path: Path, programs: dict[str, Program]) -> RegionOverrides:
    """Load a region file; each value is checked against the parameter's unit in every program."""
    file = _File(path)
    top = file.mapping(file.root, required=("region", "name", "reference", "programs"))
    region_code = file.text_of(top["region"])
    if not re.fullmatch(r"\d{6}", region_code) or region_code != path.stem:
        raise file.error(top["region"], f"区划代码 {region_code} 不合法或与文件名不一致",
                         f"region code {region_code} is malformed or differs from the file name")
    values: dict[str, dict[str, tuple]] = {}
    for program_key, node in file.mapping(top["programs"], any_keys=True).items():
        targets = list(programs.values()) if program_key == "*" else [programs.get(program_key)]
        if targets == [None]:
            raise file.error(node, f"未知的项目 {program_key}", f"unknown program {program_key}")
        per_parameter = {}
        for name, value_node in file.mapping(node, any_keys=True).items():
            holders = [p.parameters[name] for p in targets if name in p.parameters]
            if not holders:
                raise file.error(value_node, f"参数 {name} 不存在于 {program_key}",
                                 f"no parameter {name} in {program_key}")
            parameter = holders[0]
            per_parameter[name] = _dated_values(file, value_node, unit=parameter.unit,
                                                choices=parameter.choices)
        values[program_key] = per_parameter
    return RegionOverrides(region_code=region_code, name=file.text_of(top["name"]),
                           reference=file.text_of(top["reference"]), values=values,
                           source=str(path), source_sha256=file.sha256)
