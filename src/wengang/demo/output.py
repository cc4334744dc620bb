"""Writing a feed set: the columns of each feed (FEEDS.md) and CSV, Parquet and XLSX writers.

Inside the generator money is integer fen; at this edge it becomes yuan with exactly two
decimals, through Arrow decimals built from the fen (no float ever holds money). Frames arrive
in chunks; each writer appends them, so a feed of 17 million rows never exists as one table.
"""

from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from .errors import SynthFormatError

TEXT, MONEY, DATE, MONTH, INT, BOOL = "text", "money", "date", "month", "int", "bool"

# Column names and kinds of every feed, in the order FEEDS.md lists them.
FEEDS: dict[str, tuple[tuple[str, str], ...]] = {
    "units": (("uscc", TEXT), ("name", TEXT), ("unit_type", TEXT), ("region_code", TEXT),
              ("industry_code", TEXT), ("registered_on", DATE), ("ui_insured_since", DATE),
              ("is_labour_dispatch", BOOL), ("legal_rep_name", TEXT), ("legal_rep_id", TEXT),
              ("contact_phone", TEXT), ("clerk_name", TEXT), ("clerk_phone", TEXT),
              ("bank_name", TEXT), ("bank_account", TEXT), ("si_account", TEXT)),
    "contributions": (("uscc", TEXT), ("month", MONTH), ("insured", INT), ("due", MONEY),
                      ("paid", MONEY), ("paid_on", DATE)),
    "separations": (("uscc", TEXT), ("person", TEXT), ("separated_on", DATE), ("reason", TEXT),
                    ("claims_benefit", BOOL)),
    "tax": (("uscc", TEXT), ("year", INT), ("revenue", MONEY), ("total_assets", MONEY)),
    "registry": (("uscc", TEXT), ("status", TEXT), ("abnormal", BOOL), ("restructured_on", DATE),
                 ("restructure_kind", TEXT)),
    "credit": (("uscc", TEXT), ("list", TEXT), ("listed_on", DATE), ("removed_on", DATE)),
    "environment": (("uscc", TEXT), ("penalty_on", DATE), ("severity", TEXT)),
    "difficulty": (("uscc", TEXT), ("certified_by", TEXT), ("valid_from", DATE),
                   ("valid_to", DATE)),
}
FORMATS = ("csv", "parquet", "xlsx")
SUFFIX = {"csv": ".csv", "parquet": ".parquet", "xlsx": ".xlsx"}
XLSX_MAX_ROWS = 200_000
_MONEY_TYPE = pa.decimal128(18, 2)
_ARROW_TYPES = {TEXT: pa.string(), MONEY: _MONEY_TYPE, DATE: pa.date32(), MONTH: pa.string(),
                INT: pa.int64(), BOOL: pa.bool_()}


def file_name(feed: str, file_format: str) -> str:
    return feed + SUFFIX[file_format]


def yuan(fen: pl.Series) -> pl.Series:
    """Fen (Int64) as a yuan decimal with scale 2, exactly: the fen are the unscaled value."""
    values = fen.fill_null(0).to_numpy().astype(np.int64, copy=False)
    words = np.empty((len(values), 2), dtype=np.int64)
    words[:, 0] = values
    words[:, 1] = values >> 63                       # sign extension to 128 bits
    validity = None
    if fen.null_count():
        validity = pa.array(fen.is_not_null().to_numpy()).buffers()[1]
    array = pa.Array.from_buffers(_MONEY_TYPE, len(values), [validity, pa.py_buffer(words)])
    return pl.Series(fen.name, pl.from_arrow(array))


def as_contract(frame: pl.DataFrame, feed: str) -> pl.DataFrame:
    """Contract columns in contract order, money as yuan decimals."""
    return frame.select([yuan(frame.get_column(name)).alias(name) if kind == MONEY
                         else pl.col(name) for name, kind in FEEDS[feed]])


def as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column as the text a CSV cell would hold (the form faults are injected into)."""
    return frame.select(pl.all().cast(pl.String))


class FeedWriter:
    """Appends chunks of one feed to one file; ``close()`` returns the number of data rows."""

    def __init__(self, out_dir: Path, feed: str, file_format: str, *, text: bool,
                 created: datetime, extra_column: str | None = None) -> None:
        self.feed = feed
        self.path = out_dir / file_name(feed, file_format)
        self.columns = [name for name, _ in FEEDS[feed]] + ([extra_column] if extra_column
                                                             else [])
        self.rows = 0
        self._format = file_format
        self._text = text
        self._created = created
        self._handle = None

    def write(self, frame: pl.DataFrame) -> None:
        """Write a chunk whose columns are the contract's (typed, or all text when dirty)."""
        if self._format == "csv":
            self._write_csv(frame)
        elif self._format == "parquet":
            self._write_parquet(frame)
        else:
            self._write_xlsx(frame)
        self.rows += frame.height

    def close(self) -> int:
        if self._handle is None:                  # nothing written: still a file with a header
            self.write(pl.DataFrame({name: pl.Series([], dtype=pl.String)
                                     for name in self.columns}) if self._text
                       else _empty(self.feed))
        if self._format == "csv" or self._format == "parquet":
            self._handle.close()
        else:
            self._handle[0].close()
        return self.rows

    def _write_csv(self, frame: pl.DataFrame) -> None:
        first = self._handle is None
        if first:
            # Kept open across chunks and closed by close(): not a with-block.
            self._handle = open(self.path, "wb")  # noqa: SIM115
        frame.write_csv(self._handle, include_header=first)

    def _write_parquet(self, frame: pl.DataFrame) -> None:
        schema = pa.schema([(name, pa.string()) for name in self.columns] if self._text else
                           [(name, _ARROW_TYPES[kind]) for name, kind in FEEDS[self.feed]])
        table = frame.to_arrow().cast(schema)
        if self._handle is None:
            self._handle = pq.ParquetWriter(self.path, schema, compression="zstd")
        self._handle.write_table(table)

    def _write_xlsx(self, frame: pl.DataFrame) -> None:
        if self._handle is None:
            import xlsxwriter

            workbook = xlsxwriter.Workbook(str(self.path), {"constant_memory": True})
            workbook.set_properties({"created": self._created, "author": "wengang synth"})
            sheet = workbook.add_worksheet(self.feed)
            for column, name in enumerate(self.columns):
                sheet.write_string(0, column, name)
            self._handle = (workbook, sheet, None)
        if self.rows + frame.height > XLSX_MAX_ROWS:
            raise SynthFormatError(
                f"XLSX 每个文件最多 {XLSX_MAX_ROWS:,} 行（{self.feed} 更多）：请用 CSV 或 Parquet",
                f"XLSX holds at most {XLSX_MAX_ROWS:,} rows per file ({self.feed} has more): "
                "use CSV or Parquet", code="xlsx_too_large")
        _, sheet, _ = self._handle
        kinds = [TEXT] * len(self.columns) if self._text else [kind for _, kind in FEEDS[self.feed]]
        # Counts and years are number cells; money is text, exactly as in a CSV: a number cell
        # holds a binary float, which reads back as 106807951.420000002.
        cells = frame.select([pl.col(name) if kind == INT else pl.col(name).cast(pl.String)
                              for name, kind in zip(self.columns, kinds)])
        # constant_memory mode writes a row at a time: every cell of a row, then the next row.
        for offset, values in enumerate(cells.iter_rows(), start=self.rows + 1):
            for column, (value, kind) in enumerate(zip(values, kinds)):
                if value is None or value == "":
                    continue
                if kind == INT:
                    sheet.write_number(offset, column, value)
                else:
                    sheet.write_string(offset, column, value)

def _empty(feed: str) -> pl.DataFrame:
    dtypes = {TEXT: pl.String, MONTH: pl.String, DATE: pl.Date, INT: pl.Int64, BOOL: pl.Boolean,
              MONEY: pl.Decimal(18, 2)}
    return pl.DataFrame({name: pl.Series([], dtype=dtypes[kind]) for name, kind in FEEDS[feed]})
