"""Programs as data: dated parameters with legal references, rules, amounts and routes.

A ``Program`` is what a policy file says. ``Program.resolve`` fixes it for one screening: the
parameter values in force on the screening date, after the region's overrides and any
``--set`` values, with every expression bound into DuckDB SQL (a ``ResolvedProgram``).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlglot import exp

from .errors import OverrideNotAllowed, ParameterNotInForce, UnknownParameter
from .expressions import Value, bind, to_sql
from .templates import Placeholder

Template = tuple[str | Placeholder, ...]

UNITS = ("fraction", "yuan", "count", "bool", "choice", "list", "working_days")


@dataclass(frozen=True)
class Parameter:
    """A legal number: its meaning, unit, source and the values it took from each start date."""

    name: str
    description: str
    description_en: str
    unit: str
    reference: str
    values: tuple[tuple[date, Value | None], ...]  # ascending start dates; None ends it
    ceiling: bool = False  # localities may pay less, never more (DOMAIN.md: ratios are ceilings)
    choices: tuple[str, ...] = ()

    def value_on(self, day: date) -> Value:
        current: Value | None = None
        for start, value in self.values:
            if start <= day:
                current = value
        if current is None:
            raise ParameterNotInForce(
                f"参数 {self.name} 在 {day} 没有有效取值",
                f"parameter {self.name} has no value in force on {day}",
            )
        return current


@dataclass(frozen=True)
class Rule:
    """One legal condition, named by its stable rule id (FEEDS.md), true when the unit passes."""

    id: str
    description: str
    condition: exp.Expression
    fail: Template  # explanation when the rule fails
    passed: Template = ()  # explanation shown for an eligible unit (optional)


@dataclass(frozen=True)
class Stacking:
    """Programs of one group do not stack: a unit keeps the larger amount (ties: lower rank)."""

    group: str
    rank: int


@dataclass(frozen=True)
class Limit:
    """At most ``max`` (a count parameter) paid rows per group (``per``: person, person_year).

    Settled after the rules, over the rows that pass them all, in the subject's date order, and
    counting what was already paid in the group; a row beyond the cap fails rule ``rule``.
    """

    rule: str
    max: str
    per: str
    fail: Template


@dataclass(frozen=True)
class Program:
    id: str
    name: str
    name_en: str
    kind: str
    refund_year: int
    assessment_year: int
    legal_basis: tuple[str, ...]
    parameters: Mapping[str, Parameter]
    derived: Mapping[str, exp.Expression]
    rules: tuple[Rule, ...]
    amount: exp.Expression  # in fen, before half-up rounding to the fen
    amount_explanation: Template
    automatic_when: exp.Expression | None  # None: always the application route
    priority_when: exp.Expression | None
    stacking: Stacking | None
    source: str = ""
    source_sha256: str = ""
    subject: str = "unit"  # what one row decides about (policy/subjects.py)
    beneficiary: str = "unit"  # who is paid: the unit, or the person
    limit: Limit | None = None

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(rule.id for rule in self.rules) + ((self.limit.rule,) if self.limit else ())

    def resolve(self, *, on: date, overrides: Mapping[str, Value] | None = None) -> "ResolvedProgram":
        """Fix the parameters in force ``on`` the screening date and bind every expression.

        ``overrides`` are already-parsed values (region files, then ``--set``); each must name a
        parameter of this program, fit its choices, and not exceed a national ceiling.
        """
        values: dict[str, Value] = {}
        for name, parameter in self.parameters.items():
            values[name] = parameter.value_on(on)
        for name, value in (overrides or {}).items():
            parameter = self.parameters.get(name)
            if parameter is None:
                raise UnknownParameter(
                    f"项目 {self.id} 没有参数 {name}", f"program {self.id} has no parameter {name}"
                )
            check_override(parameter, value, national=values[name])
            values[name] = value
        context: dict[str, Value] = {
            "assessment_year": self.assessment_year,
            "refund_year": self.refund_year,
            "as_of": on,
        }
        bindable = {**context, **values, **_fen_aliases(self.parameters, values)}
        derived: dict[str, exp.Expression] = {}
        for name, tree in self.derived.items():
            derived[name] = bind(tree, parameters=bindable, derived=derived)

        def sql(tree: exp.Expression | None) -> str | None:
            return None if tree is None else to_sql(bind(tree, parameters=bindable, derived=derived))

        return ResolvedProgram(
            program=self,
            on=on,
            parameters=values,
            derived_sql={name: to_sql(tree) for name, tree in derived.items()},
            rule_sql={rule.id: sql(rule.condition) for rule in self.rules},
            amount_sql=sql(self.amount),
            automatic_sql=sql(self.automatic_when),
            priority_sql=sql(self.priority_when),
        )


def _fen_aliases(parameters: Mapping[str, Parameter], values: Mapping[str, Value]) -> dict[str, int]:
    """Expose each yuan parameter ``x`` as ``x_fen`` too: amounts are computed in integer fen."""
    return {
        f"{name}_fen": int(Decimal(values[name]) * 100)
        for name, parameter in parameters.items()
        if parameter.unit == "yuan"
    }


def check_override(parameter: Parameter, value: Value, *, national: Value) -> None:
    """Refuse a local value that breaks the parameter's choices or its national ceiling."""
    if parameter.choices and value not in parameter.choices:
        raise OverrideNotAllowed(
            f"参数 {parameter.name} 只能取 {', '.join(parameter.choices)}，不能取 {value}",
            f"parameter {parameter.name} must be one of {', '.join(parameter.choices)}, not {value}",
        )
    if parameter.ceiling and isinstance(value, Decimal) and value > Decimal(national):
        raise OverrideNotAllowed(
            f"参数 {parameter.name} 的全国上限为 {national}，地方取值 {value} 超过上限",
            f"parameter {parameter.name} has a national ceiling of {national}; {value} exceeds it",
        )


@dataclass(frozen=True)
class ResolvedProgram:
    """A program fixed for one screening: values in force and DuckDB SQL for every expression."""

    program: Program
    on: date
    parameters: Mapping[str, Value]
    derived_sql: Mapping[str, str]
    rule_sql: Mapping[str, str]
    amount_sql: str
    automatic_sql: str | None
    priority_sql: str | None
    notes: tuple[str, ...] = field(default=())

    @property
    def id(self) -> str:
        return self.program.id
