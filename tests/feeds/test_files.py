"""The feed set as files: names, formats, encodings, headers, broken and damaged files."""

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from wengang.feeds import import_feed_set, readers

from .builders import PERSON_FEEDS, UNIT_A, broken, valid_rows, write_feed, write_feed_set
from .conftest import only, rejected

# -- the folder -------------------------------------------------------------------------------

def test_a_missing_required_feed_is_reported(feed_dir, store):
    (feed_dir / "registry.csv").unlink()
    [problem] = only(rejected(feed_dir, store), "feed_missing")
    assert problem.feed == "registry" and "registry.csv / registry.xlsx" in problem.detail


def test_each_missing_required_feed_is_its_own_problem(feed_dir, store):
    (feed_dir / "registry.csv").unlink()
    (feed_dir / "units.csv").unlink()
    report = rejected(feed_dir, store)
    assert [(p.code, p.feed) for p in report if p.code == "feed_missing"] == [
        ("feed_missing", "units"), ("feed_missing", "registry")]
    assert [count for _, _, code, count in report.counts() if code == "feed_missing"] == [1, 1]


def test_optional_feeds_may_be_absent(feed_dir, store):
    for name in ("separations", "tax", "credit", "environment", "difficulty", *PERSON_FEEDS):
        (feed_dir / f"{name}.csv").unlink()
    snapshot = import_feed_set(feed_dir, store)
    assert snapshot.present == ("units", "contributions", "registry")


def test_a_file_that_is_no_feed_is_an_error(feed_dir, store):
    (feed_dir / "unit.csv").write_text("uscc\n", encoding="utf-8")
    [problem] = only(rejected(feed_dir, store), "file_unknown")
    assert problem.file == "unit.csv" and "units" in problem.detail


def test_two_files_for_one_feed_are_an_error(feed_dir, store):
    write_feed(feed_dir / "units.xlsx", valid_rows()["units"])
    [problem] = only(rejected(feed_dir, store), "file_duplicate")
    assert "units.csv" in problem.detail and "units.xlsx" in problem.detail


def test_an_unsupported_format_is_named(feed_dir, store):
    (feed_dir / "tax.csv").rename(feed_dir / "tax.xls")
    [problem] = only(rejected(feed_dir, store), "file_format")
    assert problem.file == "tax.xls"


def test_hidden_and_lock_files_are_ignored(feed_dir, store):
    (feed_dir / ".DS_Store").write_bytes(b"\x00\x01")
    (feed_dir / "~$units.xlsx").write_bytes(b"lock")
    import_feed_set(feed_dir, store)


def test_a_missing_folder_is_a_problem_not_a_traceback(tmp_path, store):
    only(rejected(tmp_path / "nowhere", store), "folder_missing")


def test_file_names_are_matched_without_regard_to_case(feed_dir, store):
    (feed_dir / "units.csv").rename(feed_dir / "Units.CSV")
    snapshot = import_feed_set(feed_dir, store)
    assert snapshot.feeds["units"].source_file == "Units.CSV"


# -- headers ----------------------------------------------------------------------------------

def _rewrite_header(path, old, new):
    text = path.read_text(encoding="utf-8")
    head, _, rest = text.partition("\n")
    path.write_text(head.replace(old, new) + "\n" + rest, encoding="utf-8")


def test_a_missing_required_column_is_reported_on_the_header_row(feed_dir, store):
    rows = valid_rows()["contributions"]
    write_feed(feed_dir / "contributions.csv",
               [{key: value for key, value in row.items() if key != "paid"} for row in rows])
    [problem] = only(rejected(feed_dir, store), "column_missing")
    assert (problem.file, problem.row, problem.column) == ("contributions.csv", 1, "paid")


def test_a_misspelt_column_is_an_error_that_suggests_the_right_name(feed_dir, store):
    _rewrite_header(feed_dir / "contributions.csv", "paid_on", "paid_date")
    [problem] = only(rejected(feed_dir, store), "column_unknown")
    assert (problem.row, problem.column) == (1, "paid_date")
    assert "paid_on" in problem.detail


def test_a_repeated_column_is_an_error(feed_dir, store):
    _rewrite_header(feed_dir / "environment.csv", "severity", "uscc")
    report = rejected(feed_dir, store)
    assert {"column_duplicate", "column_missing"} <= report.codes


def test_header_names_are_trimmed_and_case_insensitive(feed_dir, store):
    _rewrite_header(feed_dir / "tax.csv", "revenue", " Revenue ")
    import_feed_set(feed_dir, store)


def test_a_column_with_data_but_no_header_is_an_error(feed_dir, store):
    path = feed_dir / "environment.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0] + ",", lines[1] + ",oops"]) + "\n", encoding="utf-8")
    [problem] = only(rejected(feed_dir, store), "column_unnamed")
    assert problem.detail == "4"


def test_a_trailing_empty_column_is_harmless(feed_dir, store):
    path = feed_dir / "environment.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(line + "," for line in lines) + "\n", encoding="utf-8")
    import_feed_set(feed_dir, store)


def test_a_file_whose_first_row_is_not_the_header_is_one_problem(feed_dir, store):
    path = feed_dir / "registry.csv"
    path.write_text("说明：本表为登记状态\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    [problem] = only(rejected(feed_dir, store), "header_mismatch")
    assert problem.file == "registry.csv" and "uscc" in problem.detail


def test_a_header_alone_is_no_data_for_a_required_feed(feed_dir, store):
    write_feed(feed_dir / "registry.csv", [])
    only(rejected(feed_dir, store), "feed_empty")


def test_a_header_alone_is_an_empty_optional_feed(feed_dir, store):
    write_feed(feed_dir / "credit.csv", [])
    snapshot = import_feed_set(feed_dir, store)
    assert snapshot.feeds["credit"].rows == 0


# -- CSV bytes --------------------------------------------------------------------------------

def test_an_empty_file_is_reported(feed_dir, store):
    (feed_dir / "tax.csv").write_bytes(b"")
    [problem] = only(rejected(feed_dir, store), "file_empty")
    assert problem.file == "tax.csv"


def test_a_gbk_csv_is_recognised_and_named(feed_dir, store):
    path = feed_dir / "units.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("gbk"))
    [problem] = only(rejected(feed_dir, store), "file_encoding")
    assert problem.detail == "GBK/GB18030" and "UTF-8" in problem.zh and "GBK" in problem.en


def test_a_utf16_csv_is_recognised(feed_dir, store):
    path = feed_dir / "units.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    [problem] = only(rejected(feed_dir, store), "file_encoding")
    assert problem.detail == "UTF-16"


@pytest.mark.parametrize("content", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
    bytes(range(256)) * 40,
    b"PK\x03\x04" + b"\x14\x00\x00\x00\x08\x00" * 50,
])
def test_a_binary_file_named_csv_is_reported(feed_dir, store, content):
    (feed_dir / "registry.csv").write_bytes(content)
    [problem] = only(rejected(feed_dir, store), "file_binary")
    assert problem.file == "registry.csv"


def test_a_bom_and_windows_line_ends_are_accepted(feed_dir, store):
    path = feed_dir / "contributions.csv"
    text = path.read_text(encoding="utf-8").replace("\r\n", "\n").replace("\n", "\r\n")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    snapshot = import_feed_set(feed_dir, store)
    assert snapshot.feeds["contributions"].rows == 30


def test_a_truncated_csv_reports_its_cut_last_row(feed_dir, store):
    path = feed_dir / "contributions.csv"
    data = path.read_bytes()
    path.write_bytes(data[: data.rindex(b",2020-02-15")])  # the last row loses its paid_on and more
    problems = rejected(feed_dir, store).problems
    assert [(p.file, p.row, p.code) for p in problems] == [("contributions.csv", 31, "row_fields")]
    assert problems[0].detail == "6"


def test_a_corrupted_separator_is_reported_on_its_row(feed_dir, store):
    path = feed_dir / "contributions.csv"
    lines = path.read_bytes().split(b"\n")
    lines[4] = lines[4].replace(b",", b";", 1)
    path.write_bytes(b"\n".join(lines))
    [problem] = only(rejected(feed_dir, store), "row_fields")
    assert problem.row == 5


def test_an_unbalanced_quote_is_reported(feed_dir, store):
    path = feed_dir / "environment.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text(lines[0] + "\n" + lines[1].replace(",", ',"', 1) + "\n", encoding="utf-8")
    [problem] = only(rejected(feed_dir, store), "row_quotes")
    assert problem.row == 2


def test_rows_keep_their_numbers_across_blank_and_malformed_lines(feed_dir, store):
    path = feed_dir / "contributions.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(3, "")                                   # line 4 is blank
    lines[5] = lines[5] + ",extra"                        # line 6 has a field too many
    lines.insert(8, "")                                   # line 9 is blank
    lines[10] = lines[10].replace("2019-", "2019/", 1)    # line 11 has a bad month
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = rejected(feed_dir, store)
    assert [(p.row, p.code) for p in report] == [(6, "row_fields"), (11, "month_format")]


def test_bytes_that_are_not_utf8_deep_in_a_file_are_reported_by_row(feed_dir, store, monkeypatch):
    path = feed_dir / "units.csv"
    lines = path.read_bytes().split(b"\n")
    monkeypatch.setattr(readers, "HEAD_BYTES", len(lines[0]) + 40)  # the head ends before row 3
    lines[2] = lines[2].replace("东湖区便民小吃店".encode(), "东湖区便民小吃店".encode("gbk"))
    path.write_bytes(b"\n".join(lines))
    [problem] = only(rejected(feed_dir, store), "row_encoding")
    assert (problem.file, problem.row) == ("units.csv", 3)


def test_blanks_around_values_are_ignored(feed_dir, store):
    def change(rows):
        rows["units"][0]["contact_phone"] = " 13800138000\u3000"
        rows["contributions"][0]["due"] = "\t1234.50 "
        rows["units"][1]["clerk_name"] = "  "
    snapshot = import_feed_set(write_feed_set(feed_dir, broken(change)), store)
    units = pq.read_table(snapshot.path("units")).to_pylist()
    assert units[0]["contact_phone"] == "13800138000" and units[1]["clerk_name"] is None
    assert pq.read_table(snapshot.path("contributions"))["due_fen"][0].as_py() == 123450


# -- XLSX and Parquet -------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["xlsx", "parquet"])
def test_the_same_data_as_csv_xlsx_or_parquet_is_the_same_snapshot(tmp_path, fmt):
    csv_snapshot = import_feed_set(write_feed_set(tmp_path / "csv"), tmp_path / "store")
    other = import_feed_set(write_feed_set(tmp_path / fmt, fmt=fmt), tmp_path / "store")
    assert other.id == csv_snapshot.id
    assert len(list((tmp_path / "store").iterdir())) == 1


def test_mixed_formats_in_one_feed_set(tmp_path, store):
    folder = write_feed_set(tmp_path / "feeds")
    for name, fmt in (("units", "xlsx"), ("registry", "parquet")):
        (folder / f"{name}.csv").unlink()
        write_feed(folder / f"{name}.{fmt}", valid_rows()[name])
    assert import_feed_set(folder, store).id == import_feed_set(write_feed_set(tmp_path / "csv"),
                                                                store).id


@pytest.mark.parametrize(("typed", "fen"), [
    (106807951.42, 10680795142), (0.1, 10), (1234.5, 123450), (19.99, 1999), (0.29, 29)])
def test_money_typed_as_an_excel_number_is_read_exactly(tmp_path, store, typed, fen):
    """Excel keeps 106807951.42 as a binary float; the reader must not see 106807951.420000002."""
    import pyarrow.parquet as pq
    import xlsxwriter

    folder = write_feed_set(tmp_path / "feeds")
    records = valid_rows()["contributions"]
    (folder / "contributions.csv").unlink()
    columns = list(records[0])
    workbook = xlsxwriter.Workbook(str(folder / "contributions.xlsx"))
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, columns)
    for row, record in enumerate(records, start=1):
        for position, column in enumerate(columns):
            if record[column] == "":
                continue
            if column in ("due", "paid"):
                sheet.write_number(row, position, typed if row == 1 else float(record[column]))
            else:
                sheet.write_string(row, position, record[column])
    workbook.close()
    snapshot = import_feed_set(folder, store)
    first = pq.read_table(snapshot.path("contributions")).slice(0, 1).to_pylist()[0]
    assert first["due_fen"] == fen and first["paid_fen"] == fen


def test_xlsx_rows_are_numbered_as_excel_shows_them(tmp_path, store):
    import xlsxwriter

    folder = write_feed_set(tmp_path / "feeds")
    (folder / "environment.csv").unlink()
    workbook = xlsxwriter.Workbook(str(folder / "environment.xlsx"))
    sheet = workbook.add_worksheet()
    sheet.write_row(2, 0, ["uscc", "penalty_on", "severity"])       # header on Excel row 3
    sheet.write_row(3, 0, [UNIT_A, "2018-07-09", "general"])
    sheet.write_row(5, 0, [UNIT_A, "2018-08-09", "minor"])          # row 5 left empty
    workbook.close()
    [problem] = only(rejected(folder, store), "enum_value")
    assert (problem.file, problem.row, problem.column) == ("environment.xlsx", 6, "severity")


def test_xlsx_typed_cells_read_like_their_text(tmp_path, store):
    import xlsxwriter

    folder = write_feed_set(tmp_path / "feeds")
    (folder / "contributions.csv").unlink()
    rows = valid_rows()["contributions"]
    workbook = xlsxwriter.Workbook(str(folder / "contributions.xlsx"))
    sheet = workbook.add_worksheet("缴费")
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, list(rows[0]))
    for index, row in enumerate(rows, start=1):
        sheet.write_string(index, 0, row["uscc"])
        sheet.write_datetime(index, 1, dt.datetime.strptime(row["month"], "%Y-%m"), date_format)
        sheet.write_number(index, 2, int(row["insured"]))
        sheet.write_number(index, 3, float(row["due"]))
        sheet.write_string(index, 4, row["paid"])
        paid_on = dt.datetime.strptime(row["paid_on"], "%Y-%m-%d")
        sheet.write_datetime(index, 5, paid_on, date_format)
    workbook.close()
    typed = import_feed_set(folder, store)
    assert typed.id == import_feed_set(write_feed_set(tmp_path / "csv"), store).id


def test_an_xlsx_whose_first_sheet_is_not_the_data_says_so(tmp_path, store):
    import xlsxwriter

    folder = write_feed_set(tmp_path / "feeds")
    (folder / "tax.csv").unlink()
    workbook = xlsxwriter.Workbook(str(folder / "tax.xlsx"))
    workbook.add_worksheet("填表说明").write_row(0, 0, ["本表由税务部门提供", "单位：元"])
    data = workbook.add_worksheet("data")
    data.write_row(0, 0, ["uscc", "year", "revenue", "total_assets"])
    workbook.close()
    [problem] = only(rejected(folder, store), "header_mismatch")
    assert problem.file == "tax.xlsx" and "填表说明" in problem.value


def test_an_xlsx_whose_first_sheet_is_empty_says_so(tmp_path, store):
    import xlsxwriter

    folder = write_feed_set(tmp_path / "feeds")
    (folder / "tax.csv").unlink()
    workbook = xlsxwriter.Workbook(str(folder / "tax.xlsx"))
    workbook.add_worksheet("Sheet1")
    workbook.add_worksheet("data").write_row(0, 0, ["uscc", "year", "revenue", "total_assets"])
    workbook.close()
    [problem] = only(rejected(folder, store), "header_mismatch")
    assert problem.value.startswith("[Sheet1]")


@pytest.mark.parametrize("damage", ["truncate", "flip", "not_a_zip"])
def test_a_damaged_xlsx_is_reported(tmp_path, store, damage):
    folder = write_feed_set(tmp_path / "feeds")
    (folder / "credit.csv").unlink()
    path = write_feed(folder / "credit.xlsx", valid_rows()["credit"])
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        at = data.rindex(b"PK\x05\x06")  # one byte of the zip's end-of-directory signature
        path.write_bytes(data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:])
    else:
        path.write_bytes(b"uscc,list,listed_on\n")
    [problem] = only(rejected(folder, store), "file_corrupt")
    assert (problem.file, problem.detail) == ("credit.xlsx", "XLSX")


@pytest.mark.parametrize("cut", [0.5, 0.95])
def test_a_truncated_parquet_is_reported(tmp_path, store, cut):
    folder = write_feed_set(tmp_path / "feeds")
    (folder / "registry.csv").unlink()
    path = write_feed(folder / "registry.parquet", valid_rows()["registry"])
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * cut)])
    [problem] = only(rejected(folder, store), "file_corrupt")
    assert (problem.file, problem.detail) == ("registry.parquet", "Parquet")


def test_typed_parquet_columns_are_accepted(tmp_path, store):
    folder = write_feed_set(tmp_path / "feeds")
    (folder / "contributions.csv").unlink()
    rows = valid_rows()["contributions"]
    pq.write_table(pa.table({
        "uscc": [row["uscc"] for row in rows],
        "month": pa.array([dt.date.fromisoformat(row["month"] + "-01") for row in rows],
                          pa.date32()),
        "insured": pa.array([int(row["insured"]) for row in rows], pa.int32()),
        "due": pa.array([Decimal(row["due"]) for row in rows], pa.decimal128(12, 3)),
        "paid": pa.array([float(row["paid"]) for row in rows], pa.float64()),
        "paid_on": pa.array([dt.datetime.fromisoformat(row["paid_on"]) for row in rows],
                            pa.timestamp("s")),
    }), folder / "contributions.parquet")
    typed = import_feed_set(folder, store)
    assert typed.id == import_feed_set(write_feed_set(tmp_path / "csv"), store).id


def test_parquet_problems_are_numbered_as_if_row_one_were_a_header(tmp_path, store):
    folder = write_feed_set(tmp_path / "feeds", broken(
        lambda rows: rows["tax"][0].update(year="2O19")), fmt="parquet")
    [problem] = only(rejected(folder, store), "year_format")
    assert (problem.file, problem.row) == ("tax.parquet", 2)


@pytest.mark.parametrize("content", [
    b"uscc,year,revenue,total_assets\rX,2019,1,1\r",        # old Mac line ends
    b'uscc,"year\r\nx",revenue,total_assets\n',            # a header cell broken over lines
])
def test_an_unreadable_header_row_is_a_problem(feed_dir, store, content):
    (feed_dir / "tax.csv").write_bytes(content)
    problem = next(p for p in rejected(feed_dir, store) if p.file == "tax.csv")
    assert problem.row in (None, 1)  # a problem of the file or of its header row
