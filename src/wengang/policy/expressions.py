"""Policy expressions: SQL over named features, checked against an allow-list.

A policy file says *what* decides eligibility and amounts (``layoff_rate <= layoff_threshold``);
the screening engine runs it vectorised in DuckDB. Because the text ends up inside SQL, every
expression is parsed with sqlglot and rejected unless each node is an allow-listed kind: columns
that name a known feature or parameter, literals, arithmetic, comparisons, boolean logic, CASE
and a few pure functions. Subqueries, statements, casts to arbitrary types, unknown functions and
unknown names can never get through, so a policy file cannot read or change anything else.
Parameter values are substituted as sqlglot literal nodes, never formatted into SQL text.
"""

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from .errors import ExpressionNotAllowed

DIALECT = "duckdb"

_ALLOWED_NODES: tuple[type[exp.Expression], ...] = (
    exp.Column, exp.Identifier, exp.Literal, exp.Boolean, exp.Null, exp.Paren,
    exp.And, exp.Or, exp.Not,
    exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Is, exp.In, exp.Between,
    exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Neg, exp.Mod,
    exp.Case, exp.If, exp.Coalesce, exp.Greatest, exp.Least, exp.Abs, exp.Floor, exp.Ceil,
    exp.Round, exp.ArrayContains, exp.Array,
)

Value = bool | int | Decimal | str | date | tuple


def parse_expression(text: str, *, names: Iterable[str], where: str = "") -> exp.Expression:
    """Parse ``text`` and check that it uses only allow-listed nodes and the given names."""
    known = set(names)
    location = f"{where}：" if where else ""
    location_en = f"{where}: " if where else ""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionNotAllowed(f"{location}表达式为空", f"{location_en}empty expression")
    try:
        tree = sqlglot.parse_one(text, read=DIALECT)
    except ParseError as error:
        first = error.errors[0]["description"] if error.errors else str(error)
        raise ExpressionNotAllowed(
            f"{location}表达式无法解析：{text!r}（{first}）",
            f"{location_en}cannot parse expression {text!r} ({first})",
        ) from None
    for node in tree.walk():
        if not isinstance(node, _ALLOWED_NODES):
            kind = type(node).__name__
            raise ExpressionNotAllowed(
                f"{location}表达式中不允许使用 {kind}：{text!r}（只允许字段、常量、算术、比较、逻辑和少数函数）",
                f"{location_en}{kind} is not allowed in expression {text!r} (only columns, "
                "literals, arithmetic, comparisons, logic and a few functions)",
            )
        if isinstance(node, exp.Column) and (node.table or node.name not in known):
            raise ExpressionNotAllowed(
                f"{location}表达式引用了未知的名称 {node.sql(DIALECT)!r}：{text!r}",
                f"{location_en}unknown name {node.sql(DIALECT)!r} in expression {text!r}",
            )
    return tree


def literal(value: Value) -> exp.Expression:
    """A sqlglot literal for a parameter value (quoting is sqlglot's job, not ours)."""
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | Decimal):
        return exp.Literal.number(str(value))
    if isinstance(value, date):
        return exp.Cast(this=exp.Literal.string(value.isoformat()), to=exp.DataType.build("DATE"))
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, tuple):
        return exp.Array(expressions=[literal(item) for item in value])
    raise TypeError(f"cannot make a literal of {value!r}")


def bind(tree: exp.Expression, *, parameters: Mapping[str, Value],
         derived: Mapping[str, exp.Expression] | None = None) -> exp.Expression:
    """Return ``tree`` with parameters replaced by literals and derived names inlined.

    ``derived`` trees must already be bound themselves (bind them in declaration order).
    """
    derived = derived or {}

    def substitute(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and not node.table:
            if node.name in parameters:
                return literal(parameters[node.name])
            if node.name in derived:
                return exp.Paren(this=derived[node.name].copy())
        return node

    return tree.copy().transform(substitute)


def to_sql(tree: exp.Expression) -> str:
    return tree.sql(DIALECT)
