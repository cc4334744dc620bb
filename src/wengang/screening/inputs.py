"""Expose a feed set to DuckDB as typed views, from a snapshot or straight from a feed folder.

Either way the views have the snapshot's normalised columns: money as integer fen (``due_fen``),
months as ``YYYY-MM`` text, dates as DATE, booleans as BOOLEAN. Reading a folder casts strictly
(a value DuckDB cannot cast stops the run with the file named) but does not repeat the full
validation of ``wengang import``: screen a snapshot for decisions that will be acted on.
"""

import hashlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from .errors import InputError

# Normalised type of each contract column; money columns become ``<name>_fen``.
COLUMNS: dict[str, dict[str, str]] = {
    "units": {
        "uscc": "text", "name": "text", "unit_type": "text", "region_code": "text",
        "industry_code": "text", "registered_on": "date", "ui_insured_since": "date",
        "is_labour_dispatch": "bool", "legal_rep_name": "text", "legal_rep_id": "text",
        "contact_phone": "text", "clerk_name": "text", "clerk_phone": "text", "bank_name": "text",
        "bank_account": "text", "si_account": "text",
    },
    "contributions": {"uscc": "text", "month": "text", "insured": "int", "due": "yuan",
                      "paid": "yuan", "paid_on": "date"},
    "separations": {"uscc": "text", "person": "text", "separated_on": "date", "reason": "text",
                    "claims_benefit": "bool"},
    "tax": {"uscc": "text", "year": "int", "revenue": "yuan", "total_assets": "yuan"},
    "registry": {"uscc": "text", "status": "text", "abnormal": "bool", "restructured_on": "date",
                 "restructure_kind": "text"},
    "credit": {"uscc": "text", "list": "text", "listed_on": "date", "removed_on": "date"},
    "environment": {"uscc": "text", "penalty_on": "date", "severity": "text"},
    "difficulty": {"uscc": "text", "certified_by": "text", "valid_from": "date", "valid_to": "date"},
}
REQUIRED_FEEDS = ("units", "contributions", "registry")


def normalised_name(column: str, kind: str) -> str:
    return f"{column}_fen" if kind == "yuan" else column


def _cast_sql(column: str, kind: str) -> str:
    """SQL that turns a text column into its normalised type; empty text is missing."""
    value = f"nullif(trim(\"{column}\"), '')"
    if kind == "text":
        return value
    if kind == "int":
        return f"CAST({value} AS BIGINT)"
    if kind == "date":
        return f"CAST({value} AS DATE)"
    if kind == "yuan":
        return f"CAST(CAST({value} AS DECIMAL(18, 2)) * 100 AS BIGINT)"
    if kind == "bool":
        return (f"CASE WHEN {value} IS NULL THEN NULL "
                f"WHEN lower({value}) IN ('true', '1', '是') THEN true "
                f"WHEN lower({value}) IN ('false', '0', '否') THEN false "
                f"ELSE error('not a boolean: ' || {value}) END")
    raise ValueError(kind)


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
        self._hashes = {name: pool.submit(_sha256, path) for name, path in self.files.items()}

    def hashes(self) -> dict[str, str]:
        return {name: future.result() for name, future in sorted(self._hashes.items())}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def folder_source(folder: Path) -> FeedSource:
    """A feed folder: one CSV or Parquet file per feed (``units.csv`` …)."""
    files: dict[str, Path] = {}
    for feed in COLUMNS:
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
    return FeedSource(kind="folder", path=folder, files=files)


def snapshot_source(snapshot_dir: Path, snapshot_id: str) -> FeedSource:
    """An imported snapshot: normalised Parquet files already validated by ``wengang import``."""
    files = {feed: snapshot_dir / f"{feed}.parquet" for feed in COLUMNS
             if (snapshot_dir / f"{feed}.parquet").exists()}
    _require(files, snapshot_dir)
    return FeedSource(kind="snapshot", path=snapshot_dir, snapshot_id=snapshot_id, files=files)


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
        reader = (f"read_csv('{_path_literal(path)}', header = true, all_varchar = true, "
                  "auto_detect = true, encoding = 'utf-8')" if path.suffix == ".csv"
                  else f"read_parquet('{_path_literal(path)}')")
        try:
            present = {row[0] for row in connection.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()}
        except duckdb.Error as error:
            raise InputError(f"{path}：无法读取（{error}）", f"{path}: cannot be read ({error})") from None
        unknown = present - set(COLUMNS[feed])
        if unknown:
            raise InputError(f"{path}：未知的列 {', '.join(sorted(unknown))}",
                             f"{path}: unknown columns {', '.join(sorted(unknown))}")
        projection = ", ".join(
            f"{_cast_sql(column, kind) if column in present else 'NULL'} AS {normalised_name(column, kind)}"
            for column, kind in COLUMNS[feed].items()
        )
        source_sql = reader if path.suffix == ".csv" else (
            f"(SELECT {', '.join(f'CAST(\"{c}\" AS VARCHAR) AS \"{c}\"' for c in sorted(present))} FROM {reader})")
        connection.execute(f"CREATE OR REPLACE VIEW {feed} AS SELECT {projection} FROM {source_sql}")


def _path_literal(path: Path) -> str:
    """File paths are the only text interpolated into SQL here; quote them as SQL literals."""
    return str(path.resolve()).replace("'", "''")
