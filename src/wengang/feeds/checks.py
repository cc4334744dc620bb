"""SQL for checking and normalising feed cells, one expression per column kind.

Every function here returns DuckDB SQL built only from the contract (allow-listed column names,
our own constants); values from files are never formatted into SQL. The import date enters as
the named parameters ``$today`` (YYYY-MM-DD), ``$today_month`` (YYYY-MM), ``$today_year`` (YYYY)
and ``$today_compact`` (YYYYMMDD); ``query_parameters`` builds them.

A check expression yields the problem code of a cell, or NULL when the cell is fine. Cells reach
it as trimmed text, NULL when empty (see ``trim_sql``). The check characters of unified social
credit codes (GB 32100) and resident IDs (GB 11643) are computed in SQL, column-wide, and tested
against ``wengang.core.ids`` (tests/feeds/test_checks.py).
"""

from datetime import date

from wengang.core.ids import USCC_ALPHABET

from .contract import INDUSTRY_DIVISIONS, Column, Feed, Kind

WHITESPACE = " \t\r\n\u3000\u00a0"  # ASCII blanks, the ideographic space, no-break space
_WHITESPACE_CODES = ", ".join(str(ord(char)) for char in WHITESPACE)

USCC_PATTERN = "[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}"  # as core.ids
RESIDENT_ID_PATTERN = "[1-9][0-9]{16}[0-9X]"
OCCUPATION_PATTERN = "[1-8]-[0-9]{2}-[0-9]{2}-[0-9]{2}"  # 职业分类大典 (2022): major-middle-minor-unit
_USCC_WEIGHTS = [pow(3, position, 31) for position in range(17)]  # 1, 3, 9, 27, 19, 26, …
_RESIDENT_ID_WEIGHTS = [pow(2, 17 - position, 11) for position in range(17)]  # 7, 9, 10, 5, …

BOOL_TRUE = ("true", "1", "是")
BOOL_FALSE = ("false", "0", "否")
VALUE_WIDTH = 200  # a reported value is clipped to this many characters


def query_parameters(today: date) -> dict[str, str]:
    return {"today": today.isoformat(), "today_month": today.isoformat()[:7],
            "today_year": today.isoformat()[:4], "today_compact": today.strftime("%Y%m%d")}


def ident(name: str) -> str:
    """Quote a contract column name (allow-listed) as an SQL identifier."""
    if not name.replace("_", "").isalnum() or not name.isascii():
        raise ValueError(f"not a contract identifier: {name!r}")
    return f'"{name}"'


def literal(text: str) -> str:
    """Quote one of our own constants as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _in_list(values) -> str:
    return "(" + ", ".join(literal(value) for value in values) + ")"


# -- reading ----------------------------------------------------------------------------------

def trim_sql(source: str) -> str:
    """Text of a source cell as validation sees it: without surrounding blanks, NULL when empty.

    Only cells that start or end with a blank are rewritten (most cells are left as they are,
    which keeps a 17-million-row read fast).
    """
    edge = (f"ascii({source}) IN ({_WHITESPACE_CODES}) "
            f"OR ascii(reverse({source})) IN ({_WHITESPACE_CODES})")
    return (f"CASE WHEN {edge} THEN nullif(trim({source}, {literal(WHITESPACE)}), '') "
            f"ELSE nullif({source}, '') END")


def typed_cell_sql(column: Column, value: str) -> str:
    """Accept what a typed XLSX or Parquet cell becomes as text (CSV is taken literally).

    A date cell reads ``2019-03-05 00:00:00``; a month typed as a date reads ``2019-03-01``;
    a count ``12.0``; money from a decimal column ``1234.500``.
    """
    if column.kind is Kind.DATE:
        return (f"CASE WHEN regexp_full_match({value}, "
                f"'[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}[ T]00:00:00(\\.0+)?') "
                f"THEN left({value}, 10) ELSE {value} END")
    if column.kind is Kind.MONTH:
        return (f"CASE WHEN regexp_full_match({value}, "
                f"'[0-9]{{4}}-[0-9]{{2}}-01([ T]00:00:00(\\.0+)?)?') "
                f"THEN left({value}, 7) ELSE {value} END")
    if column.kind in (Kind.COUNT, Kind.YEAR):
        return f"regexp_replace({value}, '^([0-9]+)\\.0+$', '\\1')"
    if column.kind is Kind.YUAN:
        return f"regexp_replace({value}, '^(-?[0-9]+\\.[0-9]{{2}})0+$', '\\1')"
    return value


# -- checking ---------------------------------------------------------------------------------

def uscc_check_char_sql(value: str) -> str:
    """The GB 32100 check character of a well-formed code's first 17 characters."""
    alphabet = literal(USCC_ALPHABET)
    weighted = " + ".join(f"(instr({alphabet}, substr({value}, {position + 1}, 1)) - 1) * {weight}"
                          for position, weight in enumerate(_USCC_WEIGHTS))
    return f"substr({alphabet}, CAST(1 + (31 - ({weighted}) % 31) % 31 AS INTEGER), 1)"


def resident_id_check_char_sql(value: str) -> str:
    """The GB 11643 check character of a well-formed ID's first 17 digits."""
    weighted = " + ".join(f"CAST(substr({value}, {position + 1}, 1) AS INTEGER) * {weight}"
                          for position, weight in enumerate(_RESIDENT_ID_WEIGHTS))
    return f"substr('10X98765432', CAST(1 + ({weighted}) % 11 AS INTEGER), 1)"


def uscc_problem_sql(value: str) -> str:
    """``uscc_format``, ``uscc_check`` or NULL for a non-empty value."""
    return (f"CASE WHEN NOT regexp_full_match({value}, {literal(USCC_PATTERN)}) THEN 'uscc_format' "
            f"WHEN right({value}, 1) <> {uscc_check_char_sql(value)} THEN 'uscc_check' END")


def check_sql(column: Column, *, bad_values_table: str | None = None,
              full_uscc: bool = True) -> str:
    """The problem code of a cell of ``column`` (NULL when fine).

    ``bad_values_table``: a one-column table (``value``) of region codes found unknown outside
    SQL. ``full_uscc``: check format and check character here (``units``); other feeds check
    their codes against ``units`` instead (see validation).
    """
    v = ident(column.name)
    whens = [f"WHEN {v} IS NULL THEN {literal('value_missing') if column.required else 'NULL'}"]
    kind = column.kind
    if kind is Kind.USCC and full_uscc:
        whens.append(f"WHEN NOT regexp_full_match({v}, {literal(USCC_PATTERN)}) THEN 'uscc_format'")
        whens.append(f"WHEN right({v}, 1) <> {uscc_check_char_sql(v)} THEN 'uscc_check'")
    elif kind is Kind.ENUM:
        whens.append(f"WHEN {v} NOT IN {_in_list(column.values)} THEN 'enum_value'")
    elif kind is Kind.REGION:
        whens.append(f"WHEN NOT regexp_full_match({v}, '[0-9]{{6}}') THEN 'region_code'")
        if bad_values_table:
            whens.append(f"WHEN {v} IN (SELECT value FROM {bad_values_table}) THEN 'region_code'")
    elif kind is Kind.INDUSTRY:
        # Division 70 must name its class (7010 development, 7020 property management, …):
        # the size standard differs by class, and a bare 70 would leave size to a guess.
        whens.append(f"WHEN NOT regexp_full_match({v}, '[0-9]{{2}}([0-9]{{2}})?') "
                     f"OR left({v}, 2) NOT IN {_in_list(sorted(INDUSTRY_DIVISIONS))} "
                     f"OR {v} = '70' THEN 'industry_code'")
    elif kind is Kind.DATE:
        whens.append(f"WHEN NOT regexp_full_match({v}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') "
                     "THEN 'date_format'")
        whens.append(f"WHEN try_cast({v} AS DATE) IS NULL OR {v} < '1900-01-01' "
                     f"OR {v} > '2099-12-31' THEN 'date_invalid'")
        if column.not_future:
            whens.append(f"WHEN {v} > $today THEN 'date_in_future'")
    elif kind is Kind.MONTH:
        whens.append(f"WHEN NOT regexp_full_match({v}, '(19|20)[0-9]{{2}}-(0[1-9]|1[0-2])') "
                     "THEN 'month_format'")
        if column.not_future:
            whens.append(f"WHEN {v} > $today_month THEN 'date_in_future'")
    elif kind is Kind.YEAR:
        whens.append(f"WHEN NOT regexp_full_match({v}, '(19|20)[0-9]{{2}}') THEN 'year_format'")
        if column.not_future:
            whens.append(f"WHEN {v} > $today_year THEN 'date_in_future'")
    elif kind is Kind.BOOL:
        whens.append(f"WHEN lower({v}) NOT IN {_in_list(BOOL_TRUE + BOOL_FALSE)} THEN 'bool_value'")
    elif kind is Kind.YUAN:
        # Most amounts are fine: one pattern settles them, the finer ones only run on the rest.
        whens.append(f"WHEN regexp_full_match({v}, '[0-9]{{1,15}}(\\.[0-9]{{1,2}})?') THEN NULL")
        whens.append(f"WHEN NOT regexp_full_match({v}, '-?[0-9]{{1,15}}(\\.[0-9]+)?') "
                     "THEN 'money_format'")
        whens.append(f"WHEN starts_with({v}, '-') THEN 'money_negative'")
        whens.append(f"WHEN regexp_full_match({v}, '[0-9]+\\.[0-9]{{3,}}') THEN 'money_decimals'")
    elif kind is Kind.COUNT:
        whens.append(f"WHEN NOT regexp_full_match({v}, '[0-9]{{1,15}}') THEN 'count_format'")
    elif kind is Kind.DIGITS:
        whens.append(f"WHEN NOT regexp_full_match({v}, '[0-9]+') THEN 'digits_format'")
    elif kind is Kind.PHONE:
        whens.append(f"WHEN NOT regexp_full_match({v}, '1[3-9][0-9]{{9}}') THEN 'phone_format'")
    elif kind is Kind.OCCUPATION:
        whens.append(f"WHEN NOT regexp_full_match({v}, {literal(OCCUPATION_PATTERN)}) "
                     "THEN 'occupation_code'")
    elif kind is Kind.RESIDENT_ID:
        born = f"substr({v}, 7, 8)"
        whens.append(f"WHEN NOT regexp_full_match({v}, {literal(RESIDENT_ID_PATTERN)}) "
                     "THEN 'resident_id_format'")
        whens.append(f"WHEN try_strptime({born}, '%Y%m%d') IS NULL OR {born} < '19000101' "
                     f"OR {born} > $today_compact THEN 'resident_id_birth_date'")
        whens.append(f"WHEN right({v}, 1) <> {resident_id_check_char_sql(v)} "
                     "THEN 'resident_id_check'")
    if len(whens) == 1 and not column.required:
        return "CAST(NULL AS VARCHAR)"
    return "CASE " + " ".join(whens) + " END"


def detail_sql(column: Column, code: str) -> str:
    """The detail a problem of ``column`` carries (NULL when its message needs none)."""
    v = ident(column.name)
    branches = []
    if column.kind is Kind.USCC:
        branches.append(f"WHEN {code} = 'uscc_check' THEN {uscc_check_char_sql(v)}")
    if column.kind is Kind.RESIDENT_ID:
        branches.append(f"WHEN {code} = 'resident_id_check' THEN {resident_id_check_char_sql(v)}")
    if column.kind is Kind.ENUM:
        branches.append(f"WHEN {code} = 'enum_value' THEN {literal(', '.join(column.values))}")
    if column.not_future:
        branches.append(f"WHEN {code} = 'date_in_future' THEN $today")
    return f"CASE {' '.join(branches)} END" if branches else "CAST(NULL AS VARCHAR)"


def reported_value_sql(column: Column, value: str | None = None) -> str:
    """A cell as the report shows it: clipped, and a resident ID masked like core.ids does."""
    v = value or ident(column.name)
    if column.kind is Kind.RESIDENT_ID:
        return (f"CASE WHEN length({v}) > 8 THEN left({v}, 6) || repeat('*', length({v}) - 8) "
                f"|| right({v}, 2) ELSE repeat('*', length({v})) END")
    return f"left({v}, {VALUE_WIDTH})"


# -- normalising ------------------------------------------------------------------------------

def normalised_sql(column: Column, *, present: bool) -> str:
    """A validated cell in its snapshot type, named as the snapshot names it."""
    name = ident(column.normalised_name)
    if not present:
        return f"CAST(NULL AS {column.sql_type}) AS {name}"
    v = ident(column.name)
    kind = column.kind
    if kind is Kind.DATE:
        expression = f"CAST({v} AS DATE)"
    elif kind is Kind.BOOL:
        expression = (f"CASE WHEN lower({v}) IN {_in_list(BOOL_TRUE)} THEN true "
                      f"WHEN lower({v}) IN {_in_list(BOOL_FALSE)} THEN false END")
    elif kind is Kind.YUAN:
        expression = f"CAST(CAST({v} AS DECIMAL(18, 2)) * 100 AS BIGINT)"
    elif kind in (Kind.COUNT, Kind.YEAR):
        expression = f"CAST({v} AS BIGINT)"
    else:
        expression = v
    return f"{expression} AS {name}"


def normalise_sql(feed: Feed, table: str, present: tuple[str, ...]) -> str:
    """SELECT the feed in its snapshot form: contract column order, rows in the file's order.

    Rows are not sorted by key (sorting 17 million text keys would cost more than the rest of
    the import), only by ``_i``, their position in the file: a table loaded in parallel does not
    always hold its rows in the order they were read.
    """
    projection = ", ".join(normalised_sql(column, present=column.name in present)
                           for column in feed.columns)
    return f"SELECT {projection} FROM {table} ORDER BY _i"
