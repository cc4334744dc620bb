"""Screening a large population in slices of units, with the output of one pass.

One query over a whole country (14 million units, 220 million contribution rows) needs more
memory than the machine has. Above ``SLICE_UNITS`` units the run cuts the units into ranges of
USCC of near-equal size, stages every feed once into one Parquet file per range, and screens each
range alone. Every unit's features come from its own rows, so a slice decides its units exactly
as one pass would; what units share (accounts, phones, legal representatives) is counted over
the whole population before slicing (``risk.sharing_sql``). Each slice's result is written
sorted and the slices are read back in range order, so the output is the same, byte for byte.
"""

import math
from pathlib import Path

import duckdb

SLICE_UNITS = 2_000_000
"""Units screened at once. A 1M-unit pass peaks near 2.2 GB, so a slice stays near 4–5 GB."""


def slice_bounds(con: duckdb.DuckDBPyConnection, *, region_prefix: str, slice_units: int) -> list[str]:
    """The USCCs that start the second and later slices; empty when one pass will do."""
    units = con.execute("SELECT count(*) FROM units WHERE region_code LIKE $p",
                        {"p": region_prefix}).fetchall()[0][0]
    slices = math.ceil(units / slice_units) if units else 1
    if slices <= 1:
        return []
    quantiles = [i / slices for i in range(1, slices)]
    bounds = con.execute(
        "SELECT quantile_disc(uscc, $q) FROM units WHERE region_code LIKE $p AND uscc IS NOT NULL",
        {"q": quantiles, "p": region_prefix}).fetchall()[0][0]
    return sorted(set(bounds))


def slice_of_sql(bounds: list[str]) -> str:
    """SQL numbering the slice of a row's ``uscc``: 0 below the first bound, and so on."""
    arms = " ".join(f"WHEN uscc < '{bound}' THEN {i}" for i, bound in enumerate(bounds))
    return f"CASE {arms} ELSE {len(bounds)} END"


def stage(con: duckdb.DuckDBPyConnection, feeds: frozenset[str], *, bounds: list[str],
          region_prefix: str, folder: Path) -> None:
    """Write every feed once into ``folder/<feed>/slice=<n>/``; keep an empty copy of each
    feed's columns (``wg_empty_<feed>``) for slices where a small feed has no row."""
    slice_of = slice_of_sql(bounds)
    for feed in sorted(feeds):
        # COPY takes no prepared parameters; the prefix is digits and '%' (run.region_prefix).
        only_region = f" WHERE region_code LIKE '{region_prefix}'" if feed == "units" else ""
        con.execute(f"CREATE OR REPLACE TEMP TABLE wg_empty_{feed} AS SELECT * FROM {feed} LIMIT 0")
        con.execute(f"COPY (SELECT *, {slice_of} AS slice FROM {feed}{only_region}) "
                    f"TO '{_literal(folder / feed)}' (FORMAT parquet, PARTITION_BY (slice))")


def use_slice(con: duckdb.DuckDBPyConnection, feeds: frozenset[str], *, folder: Path,
              number: int) -> None:
    """Point each feed's view at its rows of slice ``number``."""
    for feed in sorted(feeds):
        files = sorted((folder / feed / f"slice={number}").glob("*.parquet"))
        source = (f"read_parquet([{', '.join(f"'{_literal(f)}'" for f in files)}], "
                  "hive_partitioning = false)" if files else f"wg_empty_{feed}")
        con.execute(f"CREATE OR REPLACE VIEW {feed} AS SELECT * FROM {source}")


def _literal(path: Path) -> str:
    return str(path.resolve()).replace("'", "''")

