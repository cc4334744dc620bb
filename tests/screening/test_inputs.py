"""A feed folder's files: plain CSV headers are read without DuckDB's sniffer, to the same
names; empty cells are missing however the file holds them."""

import duckdb
import pytest

from wengang.screening.inputs import FeedSource, _header, _plain_csv_header, register_views


def _sniffed(path) -> list[str]:
    return [row[0] for row in duckdb.connect().execute(
        "DESCRIBE SELECT * FROM read_csv(?, header = true, all_varchar = true, encoding = 'utf-8')",
        [str(path)]).fetchall()]


@pytest.mark.parametrize(("header", "plain"), [
    ("uscc,month,insured,due,paid", True),
    ("\ufeffuscc,month,insured,due,paid", True),  # a UTF-8 BOM
    ('"uscc","month","insured"', True),
    ("uscc,month,insured\r", True),  # CRLF line ends
    ("uscc, month,insured", False),  # padded: the sniffer's naming decides
    ("uscc,uscc,month", False),  # repeated
    ("uscc,,month", False),  # blank
    ("uscc,monthly,insured", False),  # not a contract column: the sniffer's message
    ("uscc;month;insured", False),  # another delimiter
])
def test_a_plain_header_is_read_as_the_sniffer_reads_it(tmp_path, header, plain):
    path = tmp_path / "contributions.csv"
    width = header.count(";" if ";" in header else ",") + 1
    row = (";" if ";" in header else ",").join(["7"] * width)
    path.write_bytes((header + "\n" + (row + "\r\n" if header.endswith("\r") else row + "\n") * 3)
                     .encode("utf-8"))
    assert (_plain_csv_header(path) is not None) is plain
    if plain:
        assert _plain_csv_header(path) == _sniffed(path)
    assert list(_header(duckdb.connect(), path)) == _sniffed(path)


def test_an_empty_file_is_left_to_the_sniffer(tmp_path):
    path = tmp_path / "units.csv"
    path.write_bytes(b"")
    assert _plain_csv_header(path) is None


def _units_view(tmp_path, suffix: str) -> list[tuple]:
    """The units view of a folder holding one units file (CSV or Parquet), in file order."""
    if suffix == ".csv":
        (tmp_path / "units.csv").write_text('uscc,name,unit_type,region_code,bank_account\n'
                                            'A,,"",360111,\n'
                                            'B," ",,360111, 1 \n'
                                            'C,名,x,360111,6222\n', encoding="utf-8")
    else:  # the same cells, an empty text kept as '' by the writer
        duckdb.connect().execute(
            "COPY (SELECT * FROM (VALUES ('A', '', '', '360111', ''), "
            "('B', ' ', '', '360111', ' 1 '), ('C', '名', 'x', '360111', '6222')) "
            "AS t(uscc, name, unit_type, region_code, bank_account)) "
            f"TO '{tmp_path / 'units.parquet'}' (FORMAT parquet)")
    connection = duckdb.connect()
    register_views(connection, FeedSource(kind="folder", path=tmp_path,
                                          files={"units": tmp_path / f"units{suffix}"}))
    return connection.execute(
        "SELECT uscc, name, unit_type, region_code, bank_account FROM units").fetchall()


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_an_empty_text_cell_is_missing_and_a_blank_one_is_read_as_written(tmp_path, suffix):
    assert _units_view(tmp_path, suffix) == [
        ("A", None, None, "360111", None),  # empty, quoted or not: missing
        ("B", " ", None, "360111", " 1 "),  # blanks as written (``wengang import`` trims them)
        ("C", "名", "x", "360111", "6222"),
    ]
