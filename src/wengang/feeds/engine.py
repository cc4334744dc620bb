"""The DuckDB session of one import: every statement goes through ``Engine.run``.

One in-memory database per import, with a memory limit and a spill folder of its own, so a
17-million-row contributions file stays within the machine's budget (DuckDB spills sorts and
tables to disk past the limit). Extensions are never auto-loaded: they would download at run
time, and sites run offline.
"""

import os
import re
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Any, Self

import duckdb

MEMORY_LIMIT = os.environ.get("WENGANG_FEEDS_MEMORY_LIMIT", "2500MB")
"""DuckDB's memory limit for an import; the process peaks some hundreds of MB above it."""


_PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


class Engine:
    """One DuckDB connection with a private spill folder; close it (or use ``with``)."""

    def __init__(self, *, memory_limit: str = MEMORY_LIMIT, threads: int | None = None) -> None:
        self.work_dir = Path(tempfile.mkdtemp(prefix="wengang-feeds-"))
        config: dict[str, Any] = {
            "memory_limit": memory_limit,
            "temp_directory": str(self.work_dir / "spill"),
            "preserve_insertion_order": True,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        }
        if threads:
            config["threads"] = threads
        self.connection = duckdb.connect(":memory:", config=config)
        # Progress is read by ``progress()`` for rich; DuckDB must not print its own bar.
        self.connection.execute("SET enable_progress_bar = true")
        self.connection.execute("SET enable_progress_bar_print = false")
        # Closed by ``close``; failing that, when collected or at exit (no spill folder left behind).
        self._finalizer = weakref.finalize(self, _release, self.connection, self.work_dir)

    def run(self, sql: str, parameters: dict[str, Any] | list[Any] | None = None):
        """Execute one statement; the result is consumed or discarded by the caller.

        Named parameters the statement does not use are left out (DuckDB refuses extras), so
        callers may pass one shared dictionary.
        """
        if isinstance(parameters, dict):
            used = set(_PARAMETER.findall(sql))
            parameters = {name: value for name, value in parameters.items() if name in used}
        return self.connection.execute(sql, parameters if parameters is not None else {})

    def arrow(self, sql: str, parameters: dict[str, Any] | None = None):
        """The result of a query as an Arrow table."""
        if parameters:
            used = set(_PARAMETER.findall(sql))
            parameters = {name: value for name, value in parameters.items() if name in used}
        return self.connection.sql(sql, params=parameters or None).to_arrow_table()

    def rows(self, sql: str, parameters: dict[str, Any] | list[Any] | None = None) -> list[tuple]:
        return self.run(sql, parameters).fetchall()

    def scalar(self, sql: str, parameters: dict[str, Any] | list[Any] | None = None) -> Any:
        rows = self.rows(sql, parameters)
        return rows[0][0] if rows else None

    def progress(self) -> float:
        """Percent done of the running statement (-1 when none); safe from another thread."""
        try:
            return self.connection.query_progress()
        except duckdb.Error:
            return -1.0

    def close(self) -> None:
        self._finalizer()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _release(connection: duckdb.DuckDBPyConnection, work_dir: Path) -> None:
    try:
        connection.close()
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
