"""Expose a feed set to DuckDB as typed views, from a snapshot or straight from a feed folder.

Either way the views have the snapshot's normalised columns: money as integer fen (``due_fen``),
months as ``YYYY-MM`` text, dates as DATE, booleans as BOOLEAN. Reading a folder casts strictly
(a value DuckDB cannot cast stops the run with the file and line named) but does not repeat the
full validation of ``wengang import``: CSV text cells are taken as written (import trims them),
so screen a snapshot for decisions that will be acted on.
"""

import csv
import hashlib
import re
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from wengang.feeds import FEEDS, Column, Kind

if TYPE_CHECKING:
    from wengang.feeds import Snapshot

from .errors import InputError

REQUIRED_FEEDS = tuple(name for name, feed in FEEDS.items() if feed.required)


# How a folder's CSV cells are typed while DuckDB parses them (no text-then-cast pass: typed
# parsing of the 16-million-row contributions file is about twice as fast).
_CSV_TYPE = {Kind.COUNT: "BIGINT", Kind.YEAR: "BIGINT", Kind.DATE: "DATE", Kind.YUAN: "DECIMAL(18,2)"}
_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER",
                  "UBIGINT", "HUGEINT"}


def _already_typed(kind: Kind, source_type: str) -> bool:
    """Whether a column read as ``source_type`` already holds the contract's kind of value."""
    if kind in (Kind.COUNT, Kind.YEAR):
        return source_type in _INTEGER_TYPES
    if kind is Kind.DATE:
        return source_type == "DATE"
    if kind is Kind.YUAN:  # yuan with at most two decimals; a float could carry binary noise
        return re.fullmatch(r"DECIMAL\(\d+,[0-2]\)", source_type) is not None
    if kind is Kind.BOOL:
        return source_type == "BOOLEAN"
    return source_type == "VARCHAR"


def _cell_sql(column: Column, source_type: str) -> str:
    """SQL giving the normalised value of a cell read as ``source_type``.

    A value already of the right type is used as it is (text as written, empty is missing);
    anything else is read as trimmed text and cast, strictly.
    """
    name = f'"{column.name}"'
    kind = column.kind
    if _already_typed(kind, source_type):
        if kind is Kind.YUAN:
            return f"CAST({name} * 100 AS BIGINT)"
        return name if kind in _CSV_TYPE or kind is Kind.BOOL else f"nullif({name}, '')"
    value = f"nullif(trim(CAST({name} AS VARCHAR)), '')"
    if kind in (Kind.COUNT, Kind.YEAR):
        return f"CAST({value} AS BIGINT)"
    if kind is Kind.DATE:
        return f"CAST({value} AS DATE)"
    if kind is Kind.YUAN:
        return f"CAST(CAST({value} AS DECIMAL(18, 2)) * 100 AS BIGINT)"
    if kind is Kind.BOOL:
        return (f"CASE WHEN {value} IS NULL THEN NULL "
                f"WHEN lower({value}) IN ('true', '1', '是') THEN true "
                f"WHEN lower({value}) IN ('false', '0', '否') THEN false "
                f"ELSE error('not a boolean: ' || {value}) END")
    return value


@dataclass
class FeedSource:
    """Where the feeds come from, with the SHA-256 of every file read (for the run record)."""

    kind: str  # "snapshot" or "folder"
    path: Path
    snapshot_id: str | None = None
    files: dict[str, Path] = field(default_factory=dict)
    _hashes: dict[str, Future] = field(default_factory=dict, repr=False)

    @property
    def present(self) -> frozenset[str]:
        return frozenset(self.files)

    def start_hashing(self, pool: ThreadPoolExecutor) -> None:
        """Hash the inputs on another thread while DuckDB works (hashlib releases the GIL)."""
        self._hashes = {name: pool.submit(sha256_file, path) for name, path in self.files.items()}

    def hashes(self) -> dict[str, str]:
        return {name: future.result() for name, future in sorted(self._hashes.items())}


def sha256_file(path: Path) -> str:
    """SHA-256 of a file (the fingerprint in run records), read into one reused buffer
    (a new 4 MB chunk per read cost 5–15% more CPU on the 1.8 GB a 1,000,000-unit run hashes)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def folder_source(folder: Path) -> FeedSource:
    """A feed folder: one CSV or Parquet file per feed (``units.csv`` …)."""
    files: dict[str, Path] = {}
    for feed in FEEDS:
        found = [folder / f"{feed}.{suffix}" for suffix in ("csv", "parquet", "xlsx")
                 if (folder / f"{feed}.{suffix}").exists()]
        if len(found) > 1:
            raise InputError(f"{folder}：数据 {feed} 有多个文件", f"{folder}: feed {feed} has several files")
        if found:
            if found[0].suffix == ".xlsx":
                raise InputError(
                    f"{found[0]}：直接筛查只支持 CSV 和 Parquet；XLSX 请先用 wengang import 导入为快照",
                    f"{found[0]}: screening a folder reads CSV and Parquet; import XLSX with "
                    "`wengang import` and screen the snapshot",
                )
            files[feed] = found[0]
    _require(files, folder)
    return FeedSource(kind="folder", path=folder.resolve(), files=files)


def snapshot_source(snapshot: "Snapshot") -> FeedSource:
    """An imported snapshot: normalised Parquet files already validated by ``wengang import``."""
    files = {feed: snapshot.path(feed) for feed in snapshot.present}
    _require(files, snapshot.directory)
    return FeedSource(kind="snapshot", path=snapshot.directory.resolve(), snapshot_id=snapshot.id,
                      files=files)


def _require(files: dict[str, Path], where: Path) -> None:
    missing = [feed for feed in REQUIRED_FEEDS if feed not in files]
    if missing:
        raise InputError(f"{where}：缺少必需的数据 {', '.join(missing)}",
                         f"{where}: required feeds missing: {', '.join(missing)}")


def register_views(connection: duckdb.DuckDBPyConnection, source: FeedSource) -> None:
    """Create one typed view per present feed on ``connection``."""
    for feed, path in source.files.items():
        if source.kind == "snapshot":
            connection.execute(f"CREATE OR REPLACE VIEW {feed} AS "
                               f"SELECT * FROM read_parquet('{_path_literal(path)}')")
            continue
        header = _header(connection, path)
        unknown = set(header) - set(FEEDS[feed].column_names)
        if unknown:
            raise InputError(f"{path}：未知的列 {', '.join(sorted(unknown))}",
                             f"{path}: unknown columns {', '.join(sorted(unknown))}")
        if path.suffix == ".csv":
            kinds = {column.name: column.kind for column in FEEDS[feed].columns}
            header = {name: _CSV_TYPE.get(kinds[name], "VARCHAR") for name in header}
            types = ", ".join(f"'{name}': '{duck_type}'" for name, duck_type in header.items())
            # Every option given, and no sniffing: the dialect is the contract's, the header
            # was read above (sniffing the large files again costs a tenth of a second each).
            reader = (f"read_csv('{_path_literal(path)}', header = true, delim = ',', quote = '\"', "
                      f"escape = '\"', encoding = 'utf-8', auto_detect = false, "
                      f"columns = {{{types}}})")
        else:
            reader = f"read_parquet('{_path_literal(path)}')"
        projection = ", ".join(
            f"{_cell_sql(column, header[column.name]) if column.name in header else 'NULL'} "
            f"AS {column.normalised_name}"
            for column in FEEDS[feed].columns
        )
        connection.execute(f"CREATE OR REPLACE VIEW {feed} AS SELECT {projection} FROM {reader}")


def _header(connection: duckdb.DuckDBPyConnection, path: Path) -> dict[str, str]:
    """The columns of a feed file, in file order, with the type DuckDB reads them as (CSV:
    text; the typed read is chosen from the contract)."""
    if path.suffix == ".csv":
        names = _plain_csv_header(path)
        if names is not None:
            return dict.fromkeys(names, "VARCHAR")
    reader = (f"read_csv('{_path_literal(path)}', header = true, all_varchar = true, "
              "encoding = 'utf-8')" if path.suffix == ".csv"
              else f"read_parquet('{_path_literal(path)}')")
    try:
        rows = connection.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()
    except duckdb.Error as error:
        raise InputError(f"{path}：无法读取（{error}）", f"{path}: cannot be read ({error})") from None
    return {row[0]: row[1] for row in rows}


def _plain_csv_header(path: Path) -> list[str] | None:
    """The names of a CSV file's first line when each is a distinct column of the contract,
    else ``None``.

    DuckDB's sniffer reads such a header the same way, and costs 0.03–0.1 s of CPU per file;
    any other header (blank, padded, repeated or unknown names, another delimiter, an empty
    file, bytes that are not UTF-8) is left to the sniffer, whose names and messages stay.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            names = next(csv.reader(handle), None)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    if not names or len(set(names)) != len(names) or not set(names) <= _CONTRACT_NAMES:
        return None
    return names


_CONTRACT_NAMES = frozenset(column.name for feed in FEEDS.values() for column in feed.columns)


def _path_literal(path: Path) -> str:
    """File paths are the only text interpolated into SQL here; quote them as SQL literals."""
    return str(path.resolve()).replace("'", "''")
