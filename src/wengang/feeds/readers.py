"""Find the files of a feed set and read each into DuckDB as text, with its problems.

A feed set is a folder with at most one file per feed: ``units.csv``, ``units.xlsx`` or
``units.parquet``. Each file becomes a table of text cells (trimmed; NULL when empty) holding
only the contract's columns, plus ``_i``, the row's position among the file's data rows. The
spreadsheet row number of a problem is worked out from ``_i`` at the end (``RawFeed.row_base``,
plus the rows a CSV reader dropped: blank lines and malformed rows, which keep their numbers).

Bad files give problems, never tracebacks: an empty file, a CSV that is not UTF-8 (GBK is
recognised and named), binary data, a damaged XLSX or Parquet, a header that is not the feed's
(the wrong first sheet), unknown, duplicate or missing columns, rows with the wrong number of
fields or unbalanced quotes.
"""

import codecs
import csv
import difflib
import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .checks import VALUE_WIDTH, ident, trim_sql, typed_cell_sql
from .contract import FEEDS, FORMATS, Feed, feed_for_file_stem
from .engine import Engine
from .report import Problem

HEAD_BYTES = 1 << 20        # how much of a CSV is sniffed for its encoding and header
MAX_LINE_BYTES = 8 << 20    # a longer CSV line is reported as unreadable
_SCAN_CHUNK = 8 << 20


@dataclass(frozen=True, slots=True)
class SourceFile:
    """The file that holds one feed."""

    feed: Feed
    path: Path
    format: str  # "csv", "xlsx" or "parquet"

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True, slots=True)
class FileScan:
    """What one pass over a file's bytes tells: its SHA-256 and, for CSV, its blank lines."""

    sha256: str
    size: int
    blank_lines: np.ndarray  # line numbers (int64), sorted


@dataclass(slots=True)
class RawFeed:
    """A feed read into DuckDB table ``table`` as text cells, one column per contract column.

    ``row_base`` is the row number of the first data row. ``rejects`` names a table of the rows
    the CSV reader could not split (``line``, ``error_type``, ``csv_line``), ``rejected`` counts
    them; they keep their row numbers, so later rows are numbered past them.
    """

    feed: Feed
    source: SourceFile
    table: str
    columns: tuple[str, ...]
    row_base: int
    rows: int = 0
    rejects: str | None = None
    rejected: int = 0
    fields: int = 0

    @property
    def complete(self) -> bool:
        """False when the reader had to drop malformed rows (they are reported)."""
        return self.rejected == 0


# -- finding the files ------------------------------------------------------------------------

def discover(feed_dir: Path) -> tuple[dict[str, SourceFile], list[Problem]]:
    """The feed files of ``feed_dir`` by feed name, and the problems of the folder itself.

    Hidden files (``.DS_Store``) and Office lock files (``~$units.xlsx``) are ignored.
    """
    problems: list[Problem] = []
    if not feed_dir.is_dir():
        return {}, [Problem("folder_missing", file=str(feed_dir))]
    found: dict[str, list[Path]] = {}
    for path in sorted(feed_dir.iterdir()):
        if path.name.startswith((".", "~$")):
            continue
        feed = feed_for_file_stem(path.stem) if path.is_file() else None
        if feed is None:
            problems.append(Problem("file_unknown", file=path.name, detail=", ".join(FEEDS)))
            continue
        suffix = path.suffix.lower().lstrip(".")
        if suffix not in FORMATS:
            problems.append(Problem("file_format", file=path.name, feed=feed.name,
                                    detail=path.suffix or "(no suffix)"))
            continue
        found.setdefault(feed.name, []).append(path)
    sources: dict[str, SourceFile] = {}
    for name, feed in FEEDS.items():
        paths = found.get(name, [])
        if len(paths) > 1:
            problems.append(Problem("file_duplicate", file=paths[1].name, feed=name,
                                    detail=", ".join(path.name for path in paths)))
        elif paths:
            sources[name] = SourceFile(feed, paths[0], paths[0].suffix.lower().lstrip("."))
        elif feed.required and not any(problem.feed == name for problem in problems):
            problems.append(Problem("feed_missing", feed=name, detail=" / ".join(feed.file_names)))
    # A feed naming persons needs the feed that lists them (``trainees``) in the same set.
    for name in dict.fromkeys(ref for source in sources.values() for ref in source.feed.references):
        if name not in sources and not any(problem.feed == name for problem in problems):
            problems.append(Problem("feed_missing", feed=name,
                                    detail=" / ".join(FEEDS[name].file_names)))
    return sources, problems


def scan_file(path: Path, *, blank_lines: bool) -> FileScan:
    """Hash a file and, for a CSV, find its blank lines (which the CSV reader skips silently).

    One pass in large chunks; hashlib releases the GIL, so this runs beside DuckDB's reading.
    A blank line is reported by its line number (the header is line 1). Chunks without a blank
    line cost one substring search; the others are searched with numpy, so even a file with a
    blank line after every row is scanned quickly.
    """
    digest = hashlib.sha256()
    found: list[np.ndarray] = []
    newlines_before = 0  # newlines in the file before the first byte of ``data``
    carry = b""          # the last two bytes of the previous chunk: a blank line may straddle
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_SCAN_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if not blank_lines:
                continue
            data = carry + chunk
            keep = data[-2:]
            if b"\n\n" in data or b"\n\r\n" in data:
                found.append(newlines_before + _blank_line_offsets(data, len(carry)))
            newlines_before += data.count(b"\n", 0, len(data) - len(keep))
            carry = keep
    lines = np.unique(np.concatenate(found)) if found else np.empty(0, np.int64)
    return FileScan(digest.hexdigest(), size, lines.astype(np.int64))


def _blank_line_offsets(data: bytes, carried: int) -> np.ndarray:
    """Numbers of blank lines ending in ``data[carried:]``, less the newlines before ``data``."""
    raw = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(raw == 10)
    after = newlines + 1
    padded = np.concatenate([raw, np.zeros(2, np.uint8)])
    lf = padded[after] == 10                                   # "\n\n"
    crlf = (padded[after] == 13) & (padded[after + 1] == 10)   # "\n\r\n"
    ends = np.where(lf, after, after + 1)
    blank = (lf | crlf) & (ends < len(raw)) & (ends >= carried)
    # Newline number i (0-based) ends line i + 1; the blank line after it is line i + 2.
    return np.flatnonzero(blank).astype(np.int64) + 2


# -- reading one file -------------------------------------------------------------------------

def read_feed(engine: Engine, source: SourceFile) -> tuple[RawFeed | None, list[Problem]]:
    """Read ``source`` into table ``raw_<feed>``; ``None`` when the file cannot be read at all."""
    try:
        size = source.path.stat().st_size
    except OSError as error:
        return None, [_file_problem(source, "file_unreadable", error.strerror or str(error))]
    if size == 0:
        return None, [_file_problem(source, "file_empty")]
    reader = {"csv": _read_csv, "xlsx": _read_xlsx, "parquet": _read_parquet}[source.format]
    try:
        return reader(engine, source, f"raw_{source.feed.name}")
    except OSError as error:
        return None, [_file_problem(source, "file_unreadable", error.strerror or str(error))]


def _file_problem(source: SourceFile, code: str, detail: str | None = None, *,
                  value: str | None = None) -> Problem:
    return Problem(code, file=source.name, feed=source.feed.name, detail=detail, value=value)


@dataclass(slots=True)
class _Header:
    positions: dict[int, str]   # position in the file → contract column
    unnamed: list[int]          # positions without a name (reported if they hold data)
    problems: list[Problem]


def _match_header(source: SourceFile, names: list[str | None]) -> _Header | None:
    """Map header cells to contract columns; ``None`` when the row is not this feed's header."""
    feed = source.feed
    contract = {name.lower(): name for name in feed.column_names}
    positions: dict[int, str] = {}
    unnamed: list[int] = []
    problems: list[Problem] = []
    unknown: list[tuple[int, str]] = []
    for position, raw in enumerate(names):
        name = (raw or "").strip().lstrip("\ufeff").strip()
        if not name:
            unnamed.append(position)
        elif name.lower() in contract:
            column = contract[name.lower()]
            if column in positions.values():
                problems.append(Problem("column_duplicate", file=source.name, feed=feed.name,
                                        row=1, column=name, value=name))
            else:
                positions[position] = column
        else:
            unknown.append((position, name))
    if not positions:
        return None
    for _, name in unknown:
        close = difflib.get_close_matches(name.lower(), feed.column_names, n=3, cutoff=0.6)
        problems.append(Problem("column_unknown", file=source.name, feed=feed.name, row=1,
                                column=name, value=name,
                                detail=", ".join(close or feed.column_names)))
    for column in feed.required_columns:
        if column.name not in positions.values():
            problems.append(Problem("column_missing", file=source.name, feed=feed.name, row=1,
                                    column=column.name))
    return _Header(positions, unnamed, problems)


def _header_mismatch(source: SourceFile, cells: list[str | None], *,
                     sheet: str | None = None) -> Problem:
    shown = ", ".join(cell or "" for cell in cells)
    if sheet is not None:
        shown = f"[{sheet}] {shown}"
    required = ", ".join(column.name for column in source.feed.required_columns[:4])
    return _file_problem(source, "header_mismatch", required, value=shown[:VALUE_WIDTH])


def _select_sql(source: SourceFile, header: _Header, frame: str, *, typed: bool) -> str:
    """SELECT ``_i`` and the contract columns of ``frame`` (positional columns ``c0…``), trimmed.

    Unnamed columns come along as ``_unnamed_<position>`` so ``_finish`` can see if they hold data.
    """
    trimmed = [f"{trim_sql(f'c{position}')} AS t{position}" for position in header.positions]
    trimmed += [f"nullif(trim(c{position}), '') AS _unnamed_{position}"
                for position in header.unnamed]
    outer = []
    for position, name in header.positions.items():
        value = f"t{position}"
        if typed:
            value = typed_cell_sql(source.feed.column(name), value)
        outer.append(f"{value} AS {ident(name)}")
    outer += [f"_unnamed_{position}" for position in header.unnamed]
    return f"SELECT _i, {', '.join(outer)} FROM (SELECT _i, {', '.join(trimmed)} FROM {frame})"


def _finish(engine: Engine, source: SourceFile, table: str, header: _Header, *, loaded: int,
            row_base: int, problems: list[Problem], rejects: str | None = None,
            rejected: int = 0, fields: int = 0) -> tuple[RawFeed, list[Problem]]:
    """Drop empty rows, report unnamed columns that hold data, count the rows."""
    columns = list(header.positions.values()) + [f"_unnamed_{p}" for p in header.unnamed]
    emptied = engine.scalar(
        f"DELETE FROM {table} WHERE coalesce({', '.join(map(ident, columns))}) IS NULL")
    if header.unnamed:
        counts = engine.rows("SELECT " + ", ".join(f"count(_unnamed_{p})" for p in header.unnamed)
                             + f" FROM {table}")[0]
        for position, count in zip(header.unnamed, counts, strict=True):
            if count:
                problems.append(Problem("column_unnamed", file=source.name, feed=source.feed.name,
                                        row=1, detail=str(position + 1)))
            engine.run(f"ALTER TABLE {table} DROP COLUMN _unnamed_{position}")
    rows = loaded - emptied
    present = tuple(name for name in source.feed.column_names if name in header.positions.values())
    return RawFeed(source.feed, source, table, present, row_base, rows, rejects, rejected,
                   fields), problems


# -- CSV --------------------------------------------------------------------------------------

def _read_csv(engine: Engine, source: SourceFile, table: str) -> tuple[RawFeed | None,
                                                                       list[Problem]]:
    with source.path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
        complete = not handle.read(1)
    sniffed = _sniff_text(source, head, complete=complete)
    if isinstance(sniffed, Problem):
        return None, [sniffed]
    first_line, newline, _ = sniffed.partition("\n")
    first_line = first_line.removesuffix("\r")
    if "\r" in first_line:
        return None, [_file_problem(source, "file_unreadable",
                                    "lines end in CR only (old Mac text); save as CSV UTF-8")]
    if not newline and not complete:
        return None, [_file_problem(source, "file_unreadable", "header line longer than 1 MB")]
    try:
        names = next(csv.reader([first_line]), [])
    except csv.Error as error:
        return None, [_file_problem(source, "file_unreadable", f"header row: {error}")]
    header = _match_header(source, [name or None for name in names])
    if header is None:
        return None, [_header_mismatch(source, names)]
    columns = "{" + ", ".join(f"'c{k}': 'VARCHAR'" for k in range(len(names))) + "}"
    options = ("header = true, delim = ',', quote = '\"', escape = '\"', auto_detect = false, "
               f"strict_mode = true, null_padding = false, max_line_size = {MAX_LINE_BYTES}, "
               f"columns = {columns}")
    frame = "(SELECT row_number() OVER () - 1 AS _i, * FROM read_csv($path, {options}{extra}))"
    problems = list(header.problems)
    parameters = {"path": str(source.path)}
    rejects, rejected = None, 0
    try:
        loaded = engine.scalar(
            f"CREATE TABLE {table} AS "
            + _select_sql(source, header, frame.format(options=options, extra=""), typed=False),
            parameters)
    except (duckdb.InvalidInputException, duckdb.ConversionException):
        # Some row is malformed: read again, keeping the good rows and noting the bad ones.
        log = f"reject_log_{source.feed.name}"
        try:
            engine.run(f"DROP TABLE IF EXISTS {table}")
            extra = (f", ignore_errors = true, store_rejects = true, rejects_table = '{log}', "
                     f"rejects_scan = '{log}_scans'")
            rescue = frame.format(options=options, extra=extra)
            loaded = engine.scalar(
                f"CREATE TABLE {table} AS {_select_sql(source, header, rescue, typed=False)}",
                parameters)
        except duckdb.Error as error:
            return None, [_file_problem(source, "file_unreadable", _first_line(error))]
        rejects = f"rejected_rows_{source.feed.name}"
        rejected = engine.scalar(
            f"CREATE TABLE {rejects} AS SELECT line, min(error_type) AS error_type, "
            f"left(min(csv_line), {VALUE_WIDTH}) AS csv_line FROM {log} GROUP BY line")
    return _finish(engine, source, table, header, loaded=loaded, row_base=2, problems=problems,
                   rejects=rejects, rejected=rejected, fields=len(names))


def _sniff_text(source: SourceFile, head: bytes, *, complete: bool) -> str | Problem:
    """The decoded start of a CSV, or the problem that it is not UTF-8 text."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _file_problem(source, "file_encoding", "UTF-16")
    head = head.removeprefix(codecs.BOM_UTF8)
    if b"\x00" in head:
        return _file_problem(source, "file_binary")
    text = _decode(head, "utf-8", complete=complete)
    if text is None:
        if _decode(head, "gb18030", complete=complete) is not None:
            return _file_problem(source, "file_encoding", "GBK/GB18030")
        return _file_problem(source, "file_binary")
    controls = sum(1 for char in text if char < " " and char not in "\t\r\n")
    if controls > max(2, len(text) // 100):
        return _file_problem(source, "file_binary")
    return text


def _decode(data: bytes, encoding: str, *, complete: bool) -> str | None:
    """Decode ``data``; a character cut at the end of an incomplete head is not an error."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        return decoder.decode(data, final=complete)
    except UnicodeDecodeError:
        return None


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:VALUE_WIDTH] if text else type(error).__name__


# -- XLSX -------------------------------------------------------------------------------------

def _read_xlsx(engine: Engine, source: SourceFile, table: str) -> tuple[RawFeed | None,
                                                                        list[Problem]]:
    import fastexcel

    try:
        workbook = fastexcel.read_excel(str(source.path))
        sheets = workbook.sheet_names
        if not sheets:
            return None, [_file_problem(source, "file_empty")]
        # Every row from the top of the sheet, as text: row numbers stay those Excel shows.
        batch = workbook.load_sheet(0, header_row=None, skip_rows=0, dtypes="string").to_arrow()
    except Exception:  # noqa: BLE001 — any failure of the parser means a damaged workbook
        return None, [_file_problem(source, "file_corrupt", "XLSX")]
    cells = pa.Table.from_batches([batch])
    filled = pa.array([False] * cells.num_rows, pa.bool_())
    for column in cells.columns:
        filled = pc.or_(filled, pc.is_valid(column))
    header_index = pc.index(filled, True).as_py() if cells.num_rows else -1
    if header_index < 0:  # an empty first sheet: the data may be on another one
        if len(sheets) > 1:
            return None, [_header_mismatch(source, [], sheet=sheets[0])]
        return None, [_file_problem(source, "file_empty")]
    names = [column[header_index].as_py() for column in cells.columns]
    header = _match_header(source, names)
    if header is None:
        return None, [_header_mismatch(source, names, sheet=sheets[0])]
    data = cells.slice(header_index + 1)
    arrays = {"_i": pa.array(range(data.num_rows), pa.int64())}
    arrays |= {f"c{k}": _shortest_numbers(data.column(k).cast(pa.string()))
               for k in range(data.num_columns)}
    view = f"xlsx_{source.feed.name}"
    engine.connection.register(view, pa.table(arrays))
    try:
        loaded = engine.scalar(
            f"CREATE TABLE {table} AS {_select_sql(source, header, view, typed=True)}")
    finally:
        engine.connection.unregister(view)
    # Excel numbers rows from 1: the header sits on row header_index + 1.
    return _finish(engine, source, table, header, loaded=loaded, row_base=header_index + 2,
                   problems=list(header.problems))


_FLOAT_NOISE = r"^-?[0-9]+\.[0-9]*[0-9]{9}$"


def _shortest_numbers(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Undo float noise of numeric cells: ``106807951.420000002`` → ``106807951.42``.

    Excel stores numbers as binary floats and the reader prints all their digits, so a money
    cell typed as 106807951.42 would fail "at most 2 decimals". The shortest text that reads
    back as the same float is what the person typed; other text is left alone.
    """
    noisy = pc.match_substring_regex(column, _FLOAT_NOISE)
    if not pc.any(noisy).as_py():
        return column
    values = column.to_pylist()
    for index in pc.indices_nonzero(pc.fill_null(noisy, False)).to_pylist():
        values[index] = repr(float(values[index]))
    return pa.chunked_array([pa.array(values, pa.string())])


# -- Parquet ----------------------------------------------------------------------------------

def _read_parquet(engine: Engine, source: SourceFile, table: str) -> tuple[RawFeed | None,
                                                                           list[Problem]]:
    parameters = {"path": str(source.path)}
    try:
        described = engine.rows("DESCRIBE SELECT * FROM read_parquet($path)", parameters)
        names = [row[0] for row in described]
    except duckdb.Error:
        return None, [_file_problem(source, "file_corrupt", "Parquet")]
    header = _match_header(source, names)
    if header is None:
        return None, [_header_mismatch(source, names)]
    # Columns are renamed by position (c0, c1 …), so no name from the file reaches the SQL.
    aliases = ", ".join(f"c{k}" for k in range(len(names)))
    casts = ", ".join(f"CAST(c{k} AS VARCHAR) AS c{k}" for k in range(len(names)))
    try:
        frame = (f"(SELECT file_row_number AS _i, {casts} "
                 f"FROM read_parquet($path, file_row_number = true) AS source({aliases}))")
        loaded = engine.scalar(
            f"CREATE TABLE {table} AS {_select_sql(source, header, frame, typed=True)}", parameters)
    except duckdb.Error:
        return None, [_file_problem(source, "file_corrupt", "Parquet")]
    return _finish(engine, source, table, header, loaded=loaded, row_base=2,
                   problems=list(header.problems))
