"""The validation report: every problem of a feed set, where it is and why, in Chinese and English.

A problem names its file, its row (spreadsheet convention: the header is row 1, the first data
row is row 2; ``None`` for a problem of the whole file), its column, the offending value and a
stable ``code``; the reason is the code's message in ``MESSAGES`` with the problem's ``detail``
filled in. Problems are kept as one Arrow table, so a file with millions of bad cells is reported
in full (``write``) while the console shows a grouped summary and the first few (``print``).
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from .errors import FeedError

MESSAGES: dict[str, tuple[str, str]] = {
    # The feed set and its files.
    "folder_missing": ("找不到数据文件夹", "the feed folder does not exist"),
    "feed_missing": ("缺少必需的数据文件：{detail}（CSV、XLSX、Parquet 任选一种）",
                     "required feed missing: provide {detail} (CSV, XLSX or Parquet)"),
    "file_unknown": ("不是约定的数据文件名，应为以下之一（后缀 .csv、.xlsx 或 .parquet）：{detail}",
                     ("not a feed file name; expected one of these, as .csv, .xlsx or .parquet: "
                      "{detail}")),
    "file_format": ("不支持的文件格式 {detail}：请另存为 CSV（UTF-8）、XLSX 或 Parquet",
                    "unsupported file format {detail}: save as CSV (UTF-8), XLSX or Parquet"),
    "file_duplicate": ("同一种数据有多个文件：{detail}；只能保留一个",
                       "several files for one feed: {detail}; keep exactly one"),
    "file_empty": ("文件为空", "the file is empty"),
    "file_encoding": ("文件不是 UTF-8 编码，看起来是 {detail}：请另存为“CSV UTF-8”格式",
                      "the file is not UTF-8, it looks like {detail}: save it as CSV UTF-8"),
    "file_binary": ("不是文本格式的 CSV 文件（可能是二进制文件，或只改了后缀名）",
                    "not a text CSV file (binary data, or a file merely renamed to .csv)"),
    "file_corrupt": ("文件已损坏或不是 {detail} 文件，无法打开",
                      "the file is damaged or is not a {detail} file and cannot be opened"),
    "file_unreadable": ("无法读取文件：{detail}", "cannot read the file: {detail}"),
    "header_mismatch": ("第一行不是本数据的表头（应有 {detail} 等列）；XLSX 文件请确认第一个工作表就是数据表",
                        ("the first row is not this feed's header (expected columns such as "
                         "{detail}); in an XLSX file the data must be on the first sheet")),
    "feed_empty": ("必需的数据没有任何数据行", "a required feed has no data rows"),
    # The header row.
    "column_missing": ("缺少必需的列", "a required column is missing"),
    "column_unknown": ("未知的列，数据约定中没有（相近的列：{detail}）；拼错的列名会丢失数据",
                       ("unknown column, not in the contract (closest: {detail}); a misspelt "
                        "column would lose its data")),
    "column_duplicate": ("列名重复", "the column appears more than once"),
    "column_unnamed": ("第 {detail} 列有数据但没有列名", "column {detail} has values but no header"),
    # Rows that cannot be split into cells.
    "row_fields": ("该行的字段数不对，应为 {detail} 个（是否多了或少了逗号？）",
                   ("wrong number of fields in the row, expected {detail} (a comma too many or "
                    "too few?)")),
    "row_quotes": ("该行的引号不配对（引号内容未闭合，或引号后还有字符）",
                    "unbalanced quotes in the row (a quoted value not closed, or text after it)"),
    "row_encoding": ("该行含有非 UTF-8 字符：请将文件另存为“CSV UTF-8”格式",
                     "the row holds bytes that are not UTF-8: save the file as CSV UTF-8"),
    "row_unreadable": ("该行无法解析：{detail}", "the row cannot be parsed: {detail}"),
    # Cells.
    "value_missing": ("必填项为空", "required value is empty"),
    "uscc_format": ("统一社会信用代码格式不正确（应为18位数字或大写字母，不含 I、O、Z、S、V，第3–8位为行政区划代码）",
                    ("malformed unified social credit code (18 digits or capital letters without "
                     "I, O, Z, S, V; characters 3-8 are a region code)")),
    "uscc_check": ("统一社会信用代码校验位错误（按 GB 32100 末位应为 {detail}）",
                   ("wrong check character in the unified social credit code (GB 32100 expects "
                    "{detail})")),
    "resident_id_format": ("身份证号码格式不正确（应为18位，末位可为大写 X）",
                           "malformed resident ID (18 digits, the last may be a capital X)"),
    "resident_id_birth_date": ("身份证号码中的出生日期不存在或晚于导入日期",
                               ("the birth date in the resident ID does not exist or is after the "
                                "import date")),
    "resident_id_check": ("身份证号码校验位错误（末位应为 {detail}）",
                          "wrong check digit in the resident ID (expected {detail})"),
    "enum_value": ("取值不在约定范围内，应为以下之一：{detail}",
                   "not an allowed value; expected one of: {detail}"),
    "region_code": ("行政区划代码不正确（应为 GB/T 2260 的6位代码，如 360102）",
                    "not a GB/T 2260 region code (6 digits, e.g. 360102)"),
    "industry_code": ("行业代码不正确（应为 GB/T 4754-2017 的2位行业大类，如 51；房地产业须为4位小类，如 7010、7020、7030）",
                      ("not a GB/T 4754-2017 industry code (a 2-digit division such as 51; real "
                       "estate needs its 4-digit class, such as 7010, 7020 or 7030)")),
    "date_format": ("日期格式不正确（应为 YYYY-MM-DD，如 2019-03-05）",
                    "not a date in the form YYYY-MM-DD (e.g. 2019-03-05)"),
    "date_invalid": ("日期不存在（如 2月30日），或早于1900年、晚于2099年",
                     "no such date (e.g. 30 February), or before 1900 or after 2099"),
    "month_format": ("月份格式不正确（应为 YYYY-MM，如 2019-03）",
                     "not a month in the form YYYY-MM (e.g. 2019-03)"),
    "year_format": ("年度格式不正确（应为4位年份，如 2019）", "not a four-digit year (e.g. 2019)"),
    "bool_value": ("应为 true 或 false（也可写 1/0、是/否）",
                   "expected true or false (or 1/0, 是/否)"),
    "money_format": ("金额格式不正确（应为以元为单位的数字，如 1234.56，不带千分位逗号或货币符号）",
                     ("not an amount in yuan (a number such as 1234.56, without thousands "
                      "separators or currency signs)")),
    "money_decimals": ("金额超过两位小数（应精确到分）", "more than 2 decimals (amounts are exact to the fen)"),
    "money_negative": ("金额不能为负数", "an amount may not be negative"),
    "count_format": ("应为不小于 0 的整数", "expected a whole number, 0 or more"),
    "digits_format": ("只能包含数字", "digits only"),
    "occupation_code": ("职业（工种）代码不正确（应为《职业分类大典》（2022年版）细类代码，如 6-18-01-01）",
                        ("not an occupation code of the 2022 national classification (e.g. "
                         "6-18-01-01)")),
    "phone_format": ("手机号码格式不正确（应为11位手机号，如 13800138000）",
                      "not an 11-digit mobile number (e.g. 13800138000)"),
    "date_in_future": ("晚于导入日期 {detail}，不可能已经发生",
                       "later than the import date {detail}: it cannot have happened yet"),
    # Rows against rows and feeds against feeds.
    "date_order": ("结束早于开始（{detail}）", "ends before it starts ({detail})"),
    "month_before_insured": ("缴费月份早于该单位参加失业保险的月份（ui_insured_since = {detail}）",
                             ("contribution month before the unit joined unemployment insurance "
                              "(ui_insured_since = {detail})")),
    "key_duplicate": ("与第 {detail} 行重复（同一主键只能有一行）",
                      "repeats the key of row {detail} (one row per key)"),
    "unit_unknown": ("该统一社会信用代码不在参保单位数据（units）中",
                     "this unified social credit code is not in the units feed"),
    "person_unknown": ("该公民身份号码不在参训人员数据（trainees）中",
                       "this resident ID is not in the trainees feed"),
    # The report itself.
    "not_listed": ("另有 {detail} 个同类问题未逐条列出（计数准确）",
                   ("{detail} more problems of this kind are not listed one by one (the count is "
                    "exact)")),
}
"""Problem code → (Chinese, English) reason, ``{detail}`` filled in per problem. Stable codes."""

REPORT_COLUMNS = ("feed", "file", "row", "column", "value", "code", "detail")
TOTALS_SCHEMA = pa.schema([
    ("feed", pa.string()), ("file", pa.string()), ("column", pa.string()), ("code", pa.string()),
    ("count", pa.int64()),
])
REPORT_SCHEMA = pa.schema([
    ("feed", pa.string()), ("file", pa.string()), ("row", pa.int64()), ("column", pa.string()),
    ("value", pa.string()), ("code", pa.string()), ("detail", pa.string()),
])
PRINT_LIMIT = 50
LISTED_PER_KIND = 200_000
"""At most this many problems of one kind (file × column × code) are listed; counts stay exact."""
LISTED_TOTAL = 1_000_000
"""When more are listed in all, each kind is cut to its share (never below 1,000)."""
_XLSX_MAX_ROWS = 1_048_575  # a sheet holds 1,048,576 rows, one of them the header


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem: where it is (file, row, column), what was there (value) and why (code)."""

    code: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    detail: str | None = None
    feed: str | None = None

    @property
    def zh(self) -> str:
        return _render(MESSAGES[self.code][0], self.detail)

    @property
    def en(self) -> str:
        return _render(MESSAGES[self.code][1], self.detail)

    def __str__(self) -> str:
        where = " ".join(part for part in (
            self.file, f"第{self.row}行/row {self.row}" if self.row is not None else None,
            self.column) if part)
        return f"{where}: {self.zh} / {self.en} [{self.code}]"


def _render(template: str, detail: str | None) -> str:
    return template.replace("{detail}", detail if detail is not None else "")


class ValidationReport:
    """Every problem found in one feed set, sorted by file, row and column.

    ``table`` lists the problems one by one. Counts are always exact; only when one kind of
    problem (file × column × code) floods a file — a whole column in the wrong format, a units
    file of another city — are its first ``LISTED_PER_KIND`` listed (``listed`` < ``len``).
    """

    def __init__(self, problems: pa.Table, *, totals: pa.Table | None = None,
                 source: Path | None = None) -> None:
        self.table = problems.select(list(REPORT_COLUMNS)).cast(REPORT_SCHEMA)
        self.source = source
        if totals is None:
            totals = self._query('SELECT feed, file, "column", code, count(*) AS count '
                                 "FROM problems GROUP BY ALL")
        self.totals = totals.select(["feed", "file", "column", "code", "count"]).cast(TOTALS_SCHEMA)

    @classmethod
    def from_problems(cls, problems: list[Problem], *,
                      source: Path | None = None) -> "ValidationReport":
        return cls(pa.Table.from_pylist(
            [{name: getattr(problem, name) for name in REPORT_COLUMNS} for problem in problems],
            schema=REPORT_SCHEMA), source=source)

    def __len__(self) -> int:
        """The number of problems (listed or not)."""
        return sum(self.totals.column("count").to_pylist())

    @property
    def listed(self) -> int:
        """The number of problems listed one by one (``len`` when nothing was capped)."""
        return self.table.num_rows

    def __iter__(self) -> Iterator[Problem]:
        """The listed problems."""
        for batch in self.table.to_batches(max_chunksize=10_000):
            for record in batch.to_pylist():
                yield Problem(**record)

    @property
    def ok(self) -> bool:
        return len(self) == 0

    @property
    def problems(self) -> list[Problem]:
        """The listed problems as objects (a large report is better iterated)."""
        return list(self)

    @property
    def codes(self) -> set[str]:
        return set(self.totals.column("code").to_pylist())

    def counts(self) -> list[tuple[str | None, str | None, str, int]]:
        """(file, column, code, count) per kind of problem, in report order; counts are exact."""
        return [(file, column, code, count) for file, column, code, count, _ in self._groups()]

    # -- output -------------------------------------------------------------------------------

    def print(self, console, *, limit: int = PRINT_LIMIT) -> None:
        """Show a summary by kind (every kind, with counts) and the first ``limit`` problems."""
        from rich.table import Table
        from rich.text import Text

        total = len(self)
        if total == 0:
            console.print("数据校验通过，没有问题 / the feed set is valid: no problems")
            return
        groups = self._groups()
        console.print(Text(f"数据校验未通过：共 {total} 个问题，分 {len(groups)} 类；未导入任何数据。",
                           style="bold red"))
        console.print(Text(f"Validation failed: {total} problem(s) of {len(groups)} kind(s); "
                           "nothing was imported.", style="red"))
        console.print(Text("行号：表头为第 1 行，第一行数据为第 2 行 / rows: the header is row 1, "
                           "the first data row is row 2", style="dim"))
        summary = Table(title="问题汇总 / summary")
        for header in ("文件 file", "列 column", "问题 problem", "数量 count", "首见行 first rows"):
            summary.add_column(header, overflow="fold")
        for file, column, code, count, rows in groups:
            zh, en = (_render(text, "…") for text in MESSAGES[code])
            summary.add_row(Text(file or "—"), Text(column or "—"), Text(f"{zh}\n{en} [{code}]"),
                            Text(str(count)), Text(_first_rows(rows, count)))
        console.print(summary)
        shown = self._sample(limit, kinds=len(groups))
        details = Table(title=f"问题明细（前 {len(shown)} 个） / first {len(shown)} problems")
        for header in ("文件 file", "行 row", "列 column", "值 value", "原因 reason"):
            details.add_column(header, overflow="fold")
        for problem in shown:
            details.add_row(Text(problem.file or "—"),
                            Text("—" if problem.row is None else str(problem.row)),
                            Text(problem.column or "—"), Text(_clip(problem.value)),
                            Text(f"{problem.zh}\n{problem.en}"))
        console.print(details)
        if total > len(shown):
            hidden = total - len(shown)
            if self.listed < total:
                console.print(Text(f"问题太多：每类最多逐条列出 {LISTED_PER_KIND} 个，导出文件中共列出 "
                                   f"{self.listed} 个，计数准确。\nToo many problems: at most "
                                   f"{LISTED_PER_KIND} of a kind are listed ({self.listed} in an "
                                   "exported report); the counts are exact.", style="yellow"))
            console.print(Text(f"另有 {hidden} 个问题未显示，导出问题清单可查看全部："
                               "wengang import --report 问题清单.xlsx\n"
                               f"{hidden} more not shown; export them all with "
                               "`wengang import --report problems.xlsx`"))

    def _groups(self) -> list[tuple[str | None, str | None, str, int, list[int]]]:
        """(file, column, code, exact count, first five rows) per kind, in report order."""
        table = self._query("""
            SELECT t.file, t."column", t.code, t.count AS n, coalesce(g.rows, []) AS rows
            FROM totals t LEFT JOIN (
                SELECT feed, file, "column", code, min(ord) AS first,
                       list("row" ORDER BY ord) FILTER (WHERE "row" IS NOT NULL)[1:5] AS rows
                FROM problems GROUP BY ALL) g
              ON t.feed IS NOT DISTINCT FROM g.feed AND t.file IS NOT DISTINCT FROM g.file
             AND t."column" IS NOT DISTINCT FROM g."column" AND t.code = g.code
            ORDER BY g.first NULLS LAST, t.feed, t.file, t."column", t.code""")
        return [(record["file"], record["column"], record["code"], record["n"], record["rows"])
                for record in table.to_pylist()]

    def _sample(self, limit: int, *, kinds: int) -> list[Problem]:
        """Up to ``limit`` problems: the first few of each kind (none goes unseen), then more."""
        if self.listed <= limit:
            return self.problems
        per_kind = max(1, limit // max(1, kinds))
        table = self._query(f"""
            SELECT {", ".join(f'"{name}"' for name in REPORT_COLUMNS)} FROM (
                SELECT * FROM (
                    SELECT *, row_number() OVER (
                        PARTITION BY feed, file, "column", code ORDER BY ord) AS nth
                    FROM problems)
                ORDER BY nth > $per_kind, ord LIMIT $limit)
            ORDER BY ord""", {"per_kind": per_kind, "limit": limit})
        return list(ValidationReport(table))

    def _query(self, sql: str, parameters: dict | None = None) -> pa.Table:
        """Run SQL over ``problems`` (with ``ord``, the report order) and ``totals``."""
        import duckdb

        numbered = self.table.append_column("ord", pa.array(range(self.table.num_rows), pa.int64()))
        with duckdb.connect() as connection:
            connection.register("problems", numbered)
            if hasattr(self, "totals"):
                connection.register("totals", self.totals)
            return connection.sql(sql, params=parameters or None).to_arrow_table()

    def write(self, path: Path | str) -> Path:
        """Write every problem to ``path``: CSV (UTF-8 with BOM, for Excel) or XLSX by suffix."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".csv", ".xlsx"):
            raise FeedError(f"问题清单只能写成 .csv 或 .xlsx：{path}",
                            f"a report is written as .csv or .xlsx, not {path}",
                            code="report_format")
        table = self._rendered()
        path.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".csv":
            import pyarrow.csv as pacsv

            with path.open("wb") as handle:
                handle.write("\ufeff".encode())
                pacsv.write_csv(table, handle)
        else:
            _write_xlsx(table, path)
        return path

    def _rendered(self) -> pa.Table:
        """The report as a file shows it: reasons spelt out, a line per kind not fully listed."""
        messages = pa.table({"code": list(MESSAGES), "zh": [zh for zh, _ in MESSAGES.values()],
                             "en": [en for _, en in MESSAGES.values()]})
        import duckdb

        numbered = self.table.append_column("ord", pa.array(range(self.table.num_rows), pa.int64()))
        with duckdb.connect() as connection:
            connection.register("problems", numbered)
            connection.register("totals", self.totals)
            connection.register("messages", messages)
            return connection.sql("""
                WITH listed AS (
                    SELECT file, "row", "column", "value", code, detail, ord FROM problems
                    UNION ALL
                    SELECT t.file, NULL, t."column", NULL, 'not_listed',
                           CAST(t.count - coalesce(l.n, 0) AS VARCHAR), coalesce(l.last, -1) + 0.5
                    FROM totals t LEFT JOIN (
                        SELECT feed, file, "column", code, count(*) AS n, max(ord) AS last
                        FROM problems GROUP BY ALL) l
                      ON t.feed IS NOT DISTINCT FROM l.feed AND t.file IS NOT DISTINCT FROM l.file
                     AND t."column" IS NOT DISTINCT FROM l."column" AND t.code = l.code
                    WHERE t.count > coalesce(l.n, 0))
                SELECT p.file, p."row", p."column", p."value", p.code,
                       replace(m.zh, '{detail}', coalesce(p.detail, '')) AS reason_zh,
                       replace(m.en, '{detail}', coalesce(p.detail, '')) AS reason_en
                FROM listed p LEFT JOIN messages m USING (code) ORDER BY p.ord
            """).to_arrow_table()

    def __repr__(self) -> str:
        return f"<ValidationReport {len(self)} problem(s)>"


def _write_xlsx(table: pa.Table, path: Path) -> None:
    import xlsxwriter

    headers = ["文件 file", "行 row", "列 column", "值 value", "代码 code", "原因", "reason"]
    widths = [18, 8, 18, 28, 20, 60, 60]
    workbook = xlsxwriter.Workbook(str(path), {
        "constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
        "strings_to_urls": False})
    bold = workbook.add_format({"bold": True})
    sheet = None
    written = 0
    for batch in table.to_batches(max_chunksize=50_000):
        for record in zip(*(column.to_pylist() for column in batch.columns), strict=True):
            if sheet is None or written == _XLSX_MAX_ROWS:
                sheet = workbook.add_worksheet(f"问题 problems {len(workbook.worksheets()) + 1}")
                sheet.write_row(0, 0, headers, bold)
                for index, width in enumerate(widths):
                    sheet.set_column(index, index, width)
                sheet.freeze_panes(1, 0)
                written = 0
            written += 1
            for index, value in enumerate(record):
                if value is None:
                    continue
                if index == 1:
                    sheet.write_number(written, index, value)
                else:
                    sheet.write_string(written, index, value)
    if sheet is None:
        sheet = workbook.add_worksheet("问题 problems 1")
        sheet.write_row(0, 0, headers, bold)
    workbook.close()


def _first_rows(rows: list[int], count: int) -> str:
    text = ", ".join(str(row) for row in rows)
    return text + (" …" if count > len(rows) and rows else "")


def _clip(value: str | None, width: int = 60) -> str:
    if value is None:
        return "—"
    return value if len(value) <= width else value[: width - 1] + "…"
