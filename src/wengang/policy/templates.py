"""Explanation templates: Chinese sentences with named placeholders, rendered in SQL.

``"{assessment_year}年实缴失业保险费 {premium_base_fen:yuan} 元"`` names features, derived values,
parameters or ``amount``; a format after the colon says how to show it:

    yuan  fen as yuan with thousands separators   696528  → 6,965.28
    pct   fraction as a percentage, zeros trimmed  0.055   → 5.5%
    pct2  fraction as a percentage, 2 decimals     0       → 0.00%
    int   a whole number                           27      → 27
    (none) the value as text

Rendering happens in DuckDB for all units at once (one SQL expression per template).
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from .errors import ExpressionNotAllowed
from .expressions import DIALECT

FORMATS = ("yuan", "pct", "pct2", "int", "")
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)(?::([a-z0-9]*))?\}")


@dataclass(frozen=True)
class Placeholder:
    name: str
    format: str


def parse_template(text: str, *, names: Iterable[str], where: str = "") -> tuple[str | Placeholder, ...]:
    """Split a template into text and placeholders; unknown names or formats are errors."""
    known = set(names)
    parts: list[str | Placeholder] = []
    position = 0
    for match in _PLACEHOLDER.finditer(text):
        name, fmt = match.group(1), match.group(2) or ""
        if name not in known:
            raise ExpressionNotAllowed(f"{where}：模板引用了未知的名称 {name}",
                                       f"{where}: template names unknown {name}")
        if fmt not in FORMATS:
            raise ExpressionNotAllowed(f"{where}：模板格式 {fmt} 不存在（可用：yuan, pct, pct2, int）",
                                       f"{where}: unknown template format {fmt} (yuan, pct, pct2, int)")
        parts.append(text[position:match.start()])
        parts.append(Placeholder(name, fmt))
        position = match.end()
    rest = text[position:]
    if "{" in rest or "}" in rest or any("{" in p or "}" in p for p in parts if isinstance(p, str)):
        raise ExpressionNotAllowed(f"{where}：模板中的花括号不成对或名称不合法：{text!r}",
                                   f"{where}: unbalanced brace or bad name in template {text!r}")
    parts.append(rest)
    return tuple(part for part in parts if part != "")


def quote(text: str) -> str:
    """A SQL string literal (policy text is data, never SQL)."""
    return "'" + text.replace("'", "''") + "'"


def format_sql(value_sql: str, fmt: str) -> str:
    """DuckDB SQL that shows ``value_sql`` in the given format."""
    if fmt == "yuan":
        return f"printf('%,.2f', ({value_sql}) / 100.0)"
    if fmt == "pct":
        return f"(rtrim(rtrim(printf('%.2f', ({value_sql}) * 100.0), '0'), '.') || '%')"
    if fmt == "pct2":
        return f"(printf('%.2f', ({value_sql}) * 100.0) || '%')"
    if fmt == "int":
        # The bytes of printf('%d', …) at a fifth of its cost.
        return f"CAST(CAST(round({value_sql}) AS BIGINT) AS VARCHAR)"
    return f"CAST(({value_sql}) AS VARCHAR)"


def template_sql(parts: tuple[str | Placeholder, ...], value_of: Callable[[str], str]) -> str:
    """One SQL string expression for the template; ``value_of`` gives each name's SQL."""
    if not parts:
        return "''"
    # One concat of every piece (none is NULL) builds each row's text once, not piece by piece.
    return "concat(" + ", ".join(template_pieces(parts, value_of)) + ")"


def template_pieces(parts: tuple[str | Placeholder, ...],
                    value_of: Callable[[str], str]) -> list[str]:
    """The template's pieces as SQL string expressions, none NULL, to concat with others."""
    return [quote(part) if isinstance(part, str) else
            f"coalesce({shown_sql(value_of(part.name), part.format)}, '—')" for part in parts]


def shown_sql(value_sql: str, fmt: str) -> str:
    """``format_sql``, except for a CASE whose results are all constants (a derived value over
    parameters, such as a refund ratio by size): that is shown branch by branch, each branch's
    text made once, when DuckDB folds its constant, instead of a printf on every row.

    Each branch formats the CASE itself with its conditions fixed (its own TRUE, the others
    FALSE), so the value keeps the CASE's type and the text is the bytes of formatting the CASE;
    the conditions are tested in the same order, so a NULL one falls through as before."""
    case = _constant_results_case(value_sql)
    if case is None:
        return format_sql(value_sql, fmt)

    def taken(branch: int | None) -> str:
        fixed = case.copy()
        for number, arm in enumerate(fixed.args["ifs"]):
            arm.set("this", exp.true() if number == branch else exp.false())
        return format_sql(fixed.sql(DIALECT), fmt)

    arms = " ".join(f"WHEN {arm.this.sql(DIALECT)} THEN {taken(number)}"
                    for number, arm in enumerate(case.args["ifs"]))
    return f"CASE {arms} ELSE {taken(None)} END"


def _constant_results_case(value_sql: str) -> exp.Case | None:
    """``value_sql`` as a searched CASE whose results name no column, else ``None``."""
    try:
        tree = sqlglot.parse_one(value_sql, read=DIALECT)
    except ParseError:
        return None
    while isinstance(tree, exp.Paren):
        tree = tree.this
    if not isinstance(tree, exp.Case) or tree.this is not None:
        return None
    results = [arm.args["true"] for arm in tree.args["ifs"]]
    if tree.args.get("default") is not None:
        results.append(tree.args["default"])
    if any(result.find(exp.Column) for result in results):
        return None
    return tree
