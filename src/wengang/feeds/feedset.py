"""A validated feed set as typed DuckDB tables, for screening straight from a folder or a snapshot.

``load_feed_set(folder)`` validates exactly as an import does and, when the set is valid, keeps
the normalised tables in memory instead of writing a snapshot. ``Snapshot.load()`` gives the same
interface over a snapshot's Parquet files. Every feed of the contract is there by its name
(``units``, ``contributions`` …) with its snapshot columns (``due_fen`` …); a feed the set did
not include is an empty table, and ``present`` says which feeds were supplied.
"""

from contextlib import nullcontext
from pathlib import Path
from typing import Self

import duckdb
import pyarrow as pa

from wengang.core.clock import clock

from .checks import ident, literal, normalise_sql, normalised_sql
from .contract import FEEDS
from .engine import Engine
from .errors import FeedError, FeedSetInvalid
from .progress import Steps
from .validation import Validation, validate


class FeedSet:
    """Normalised feeds as DuckDB tables or views on ``connection``, one per feed, by its name."""

    def __init__(self, engine: Engine, present: tuple[str, ...], *, source: Path,
                 snapshot_id: str | None = None) -> None:
        self._engine = engine
        self.present = present
        self.source = source
        self.snapshot_id = snapshot_id

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        return self._engine.connection

    def relation(self, feed: str) -> duckdb.DuckDBPyRelation:
        """The feed as a DuckDB relation (empty, with its columns, when not supplied)."""
        return self.connection.table(_known(feed))

    def to_arrow(self, feed: str) -> pa.Table:
        return self.connection.sql(f"SELECT * FROM {ident(_known(feed))}").to_arrow_table()

    def rows(self, feed: str) -> int:
        rows = self.connection.execute(f"SELECT count(*) FROM {ident(_known(feed))}").fetchall()
        return rows[0][0]

    def close(self) -> None:
        self._engine.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<FeedSet {', '.join(self.present)} from {self.source}>"


def load_feed_set(feed_dir: Path | str, *, console=None) -> FeedSet:
    """Validate ``feed_dir`` and return its normalised tables without writing a snapshot.

    Raises ``FeedSetInvalid`` (with ``.report``) when the set has any problem. Close the result
    (or use it in ``with``) to free its memory.
    """
    engine = Engine()
    try:
        with Steps(console, probe=engine.progress) as steps:
            validation = checked(Path(feed_dir), engine, steps)
            for name in FEEDS:
                present = name in validation.present
                with steps.step(f"整理 / normalising {name}") if present else nullcontext():
                    create_normalised_table(validation, name)
        return FeedSet(engine, validation.present, source=Path(feed_dir))
    except BaseException:
        engine.close()
        raise


def checked(feed_dir: Path, engine: Engine, steps: Steps) -> Validation:
    """Validate with the clock's today; raise ``FeedSetInvalid`` on any problem."""
    validation = validate(feed_dir, engine, today=clock.today(), steps=steps)
    if len(validation.report):
        raise FeedSetInvalid(validation.report)
    return validation


def create_normalised_table(validation: Validation, name: str) -> None:
    """Replace raw table of ``name`` by its normalised table (an empty one when not supplied)."""
    engine = validation.engine
    feed = FEEDS[name]
    raw = validation.raws.get(name)
    if raw is None:
        _create_empty(engine, name)
        return
    engine.run(f"CREATE TABLE {ident(name)} AS {normalise_sql(feed, raw.table, raw.columns)}")
    engine.run(f"DROP TABLE {raw.table}")


def open_parquet_feeds(files: dict[str, Path], *, source: Path, snapshot_id: str | None) -> FeedSet:
    """A FeedSet of views over normalised Parquet files (absent feeds as empty tables)."""
    engine = Engine()
    try:
        for name in FEEDS:
            path = files.get(name)
            if path is None:
                _create_empty(engine, name)
            else:
                # A view cannot take parameters; the path is the store's own, quoted as a literal.
                engine.run(f"CREATE VIEW {ident(name)} AS SELECT * FROM read_parquet("
                           f"{literal(str(path.resolve()))})")
        return FeedSet(engine, tuple(name for name in FEEDS if name in files), source=source,
                       snapshot_id=snapshot_id)
    except BaseException:
        engine.close()
        raise


def _create_empty(engine: Engine, name: str) -> None:
    """A feed not supplied: an empty table with the feed's snapshot columns."""
    columns = ", ".join(normalised_sql(column, present=False) for column in FEEDS[name].columns)
    engine.run(f"CREATE TABLE {ident(name)} AS SELECT {columns} WHERE false")


def _known(feed: str) -> str:
    if feed not in FEEDS:
        raise FeedError(f"没有名为 {feed!r} 的数据", f"no feed named {feed!r}", code="feed_unknown")
    return feed

