"""The snapshot store: validated feed sets as normalised Parquet, addressed by their content.

    <store>/<snapshot id>/manifest.json
    <store>/<snapshot id>/<feed>.parquet      one per feed supplied

Each Parquet file holds a feed in its snapshot form (contract column order, rows in the file's
order, dates as DATE, money as integer fen in ``<name>_fen``, months as ``YYYY-MM`` text). The
snapshot id is the start of the SHA-256 of the contract version and the normalised files'
SHA-256s, so the same data imported twice — from CSV, XLSX or Parquet — is one snapshot. A snapshot is written
in a staging folder inside the store and renamed into place: it appears whole or not at all.
``open_snapshot`` re-hashes every file, so a file changed after import is detected.
"""

import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from wengang.core.clock import clock

from .checks import normalise_sql
from .contract import CONTRACT_VERSION, FEEDS
from .engine import Engine
from .errors import FeedError, SnapshotCorrupt, SnapshotNotFound
from .feedset import FeedSet, checked, open_parquet_feeds
from .progress import Steps
from .readers import scan_file

MANIFEST = "manifest.json"
_ID = re.compile(r"[0-9a-f]{16}")
_ID_LENGTH = 16
ROW_GROUP_ROWS = 122_880


@dataclass(frozen=True, slots=True)
class FeedRecord:
    """One feed of a snapshot: where it came from and what was stored."""

    feed: str
    file: str
    sha256: str
    rows: int
    source_file: str
    source_sha256: str
    contract_version: str

    def as_json(self) -> dict:
        return {"file": self.file, "sha256": self.sha256, "rows": self.rows,
                "source_file": self.source_file, "source_sha256": self.source_sha256,
                "contract_version": self.contract_version}


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An imported, validated feed set in the store."""

    id: str
    directory: Path
    imported_at: datetime
    source_dir: str
    contract_version: str
    feeds: dict[str, FeedRecord]

    @property
    def present(self) -> tuple[str, ...]:
        """The feeds the set supplied, in contract order (absent optional feeds are not here)."""
        return tuple(name for name in FEEDS if name in self.feeds)

    def path(self, feed: str) -> Path:
        """The normalised Parquet file of ``feed``; raises ``FeedError`` for a feed not supplied."""
        record = self.feeds.get(feed)
        if record is None:
            raise FeedError(f"快照 {self.id} 中没有数据 {feed}",
                            f"snapshot {self.id} has no feed {feed!r}", code="feed_absent")
        return self.directory / record.file

    def load(self) -> FeedSet:
        """The snapshot's feeds as DuckDB views (close the result when done)."""
        return open_parquet_feeds({name: self.path(name) for name in self.feeds},
                                  source=self.directory, snapshot_id=self.id)

    def summary_table(self):
        """A rich table: feed, rows, source file, one line per feed of the contract."""
        from rich.table import Table

        table = Table(title=f"快照 snapshot {self.id}",
                      caption=f"导入于 imported {self.imported_at:%Y-%m-%d %H:%M} · "
                              f"来源 from {self.source_dir}")
        table.add_column("数据 feed")
        table.add_column("行数 rows", justify="right")
        table.add_column("源文件 file")
        for name, feed in FEEDS.items():
            record = self.feeds.get(name)
            if record is None:
                table.add_row(f"{name} {feed.label}", "—", "未提供 / not supplied")
            else:
                table.add_row(f"{name} {feed.label}", f"{record.rows:,}", record.source_file)
        return table

    @classmethod
    def from_manifest(cls, directory: Path, manifest: dict) -> "Snapshot":
        feeds = {name: FeedRecord(feed=name, **record)
                 for name, record in manifest["feeds"].items()}
        return cls(id=manifest["snapshot_id"], directory=directory,
                   imported_at=datetime.fromisoformat(manifest["imported_at"]),
                   source_dir=manifest["source_dir"], contract_version=manifest["contract_version"],
                   feeds=feeds)


def content_id(contract_version: str, hashes: dict[str, str]) -> str:
    """The snapshot id: the first 16 hex digits of SHA-256 over the version and file hashes."""
    canonical = json.dumps({"contract_version": contract_version,
                            "feeds": dict(sorted(hashes.items()))},
                           sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:_ID_LENGTH]


def import_feed_set(feed_dir: Path | str, store_dir: Path | str, *, console=None) -> Snapshot:
    """Validate a feed set and store it as a snapshot; return the snapshot (new or existing).

    Raises ``FeedSetInvalid`` (``.report`` lists every problem) and writes nothing when the set
    has any problem. Importing data already in the store returns that snapshot unchanged.
    """
    feed_dir, store_dir = Path(feed_dir), Path(store_dir)
    imported_at = clock.now()
    with Engine() as engine, Steps(console, probe=engine.progress) as steps:
        validation = checked(feed_dir, engine, steps)
        try:
            store_dir.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=".importing-", dir=store_dir))
            staging.chmod(0o755)  # mkdtemp makes it private; a snapshot is read by other services
        except OSError as error:
            raise _store_error(store_dir, error) from error
        try:
            records: dict[str, FeedRecord] = {}
            for name in validation.present:
                raw = validation.raws[name]
                target = staging / f"{name}.parquet"
                with steps.step(f"写出 / writing {target.name}"):
                    write_parquet(engine, normalise_sql(raw.feed, raw.table, raw.columns), target)
                records[name] = FeedRecord(
                    feed=name, file=target.name, sha256=scan_file(target, blank_lines=False).sha256,
                    rows=raw.rows, source_file=raw.source.name,
                    source_sha256=validation.scans[name].sha256, contract_version=CONTRACT_VERSION)
            snapshot_id = content_id(CONTRACT_VERSION, {n: r.sha256 for n, r in records.items()})
            manifest = {
                "snapshot_id": snapshot_id,
                "contract_version": CONTRACT_VERSION,
                "imported_at": imported_at.isoformat(),
                "source_dir": str(feed_dir.resolve()),
                "absent": [name for name in FEEDS if name not in records],
                "feeds": {name: record.as_json() for name, record in records.items()},
            }
            text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
            (staging / MANIFEST).write_text(text, encoding="utf-8")
            final = store_dir / snapshot_id
            if final.exists():
                shutil.rmtree(staging)
                return open_snapshot(store_dir, snapshot_id)
            try:
                os.rename(staging, final)
            except OSError:
                if final.exists():  # imported concurrently by someone else: the same content
                    shutil.rmtree(staging)
                    return open_snapshot(store_dir, snapshot_id)
                raise
            return Snapshot.from_manifest(final, manifest)
        except OSError as error:
            shutil.rmtree(staging, ignore_errors=True)
            raise _store_error(store_dir, error) from error
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise


def write_parquet(engine: Engine, sql: str, target: Path) -> None:
    """Write the rows of ``sql`` to ``target`` in row groups of exactly ``ROW_GROUP_ROWS`` rows.

    The same rows must give the same bytes, whatever the source format and however DuckDB split
    the work: its own parallel writer cuts row groups where its input batches end, which vary
    with the source's layout and the number of threads. So DuckDB streams Arrow batches (``sql``
    orders them) and each row group is cut here to a fixed size, in contiguous arrays, before
    pyarrow encodes it.
    """
    _stream_parquet(engine.connection.sql(sql).to_arrow_reader(ROW_GROUP_ROWS), target)


def _stream_parquet(reader: pa.RecordBatchReader, target: Path) -> None:
    # Every column nullable: DuckDB marks a column NOT NULL when it happens to hold no NULL,
    # which would make the file's schema depend on the data.
    schema = pa.schema([field.with_nullable(True) for field in reader.schema])

    def write(rows: pa.Table) -> None:
        writer.write_table(rows.combine_chunks().cast(schema), row_group_size=ROW_GROUP_ROWS)

    with pq.ParquetWriter(target, schema, compression="zstd") as writer:
        pending: list[pa.RecordBatch] = []
        held = 0
        for batch in reader:
            pending.append(batch)
            held += batch.num_rows
            while held >= ROW_GROUP_ROWS:
                rows = pa.Table.from_batches(pending, reader.schema)
                write(rows.slice(0, ROW_GROUP_ROWS))
                rest = rows.slice(ROW_GROUP_ROWS)
                pending, held = rest.to_batches(), rest.num_rows
        if held:
            write(pa.Table.from_batches(pending, reader.schema))


def open_snapshot(store_dir: Path | str, snapshot_id: str) -> Snapshot:
    """The snapshot ``snapshot_id`` of the store, after checking every file against its hash."""
    store_dir = Path(store_dir)
    if not isinstance(snapshot_id, str) or not _ID.fullmatch(snapshot_id):
        raise SnapshotNotFound(store_dir, str(snapshot_id))
    directory = store_dir / snapshot_id
    if not directory.is_dir():
        raise SnapshotNotFound(store_dir, snapshot_id)
    manifest = _read_manifest(directory)
    if manifest is None:
        raise SnapshotCorrupt(snapshot_id, "清单 manifest.json 缺失或无法解析",
                              "manifest.json is missing or unreadable")
    try:
        snapshot = Snapshot.from_manifest(directory, manifest)
    except (KeyError, TypeError, ValueError):
        raise SnapshotCorrupt(snapshot_id, "清单 manifest.json 内容不完整",
                              "manifest.json is incomplete") from None
    for name, record in snapshot.feeds.items():
        path = directory / record.file
        if name not in FEEDS or path.parent != directory:
            raise SnapshotCorrupt(snapshot_id, f"清单中有未知的数据 {name}",
                                  f"unknown feed {name!r} in the manifest")
        try:
            actual = scan_file(path, blank_lines=False).sha256
        except OSError:
            raise SnapshotCorrupt(snapshot_id, f"文件 {record.file} 缺失",
                                  f"file {record.file} is missing") from None
        if actual != record.sha256:
            raise SnapshotCorrupt(snapshot_id, f"文件 {record.file} 的 SHA-256 与清单不符",
                                  f"file {record.file} does not match its SHA-256 in the manifest")
    hashes = {name: record.sha256 for name, record in snapshot.feeds.items()}
    expected = content_id(snapshot.contract_version, hashes)
    if expected != snapshot_id or snapshot.id != snapshot_id:
        raise SnapshotCorrupt(snapshot_id, "快照编号与内容不符",
                              "the snapshot id does not match its content")
    return snapshot


def list_snapshots(store_dir: Path | str) -> list[Snapshot]:
    """Every snapshot in the store, oldest first (files are not re-hashed: see open_snapshot)."""
    store_dir = Path(store_dir)
    if not store_dir.is_dir():
        return []
    snapshots = []
    for directory in store_dir.iterdir():
        if not (_ID.fullmatch(directory.name) and directory.is_dir()):
            continue
        manifest = _read_manifest(directory)
        try:
            snapshots.append(Snapshot.from_manifest(directory, manifest))
        except (KeyError, TypeError, ValueError):
            continue  # not a snapshot (or a damaged one: open_snapshot says so)
    return sorted(snapshots, key=lambda snapshot: (snapshot.imported_at, snapshot.id))


def _read_manifest(directory: Path) -> dict | None:
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def _store_error(store_dir: Path, error: OSError) -> FeedError:
    return FeedError(f"无法写入快照库 {store_dir}：{error.strerror or error}",
                     f"cannot write to the snapshot store {store_dir}: {error.strerror or error}",
                     code="store_unwritable")
