"""A feed folder's CSV headers: plain ones are read without DuckDB's sniffer, to the same names."""

import duckdb
import pytest

from wengang.screening.inputs import _header, _plain_csv_header


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
