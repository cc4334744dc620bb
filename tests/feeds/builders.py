"""A small valid feed set as literal rows, written as CSV, XLSX or Parquet; tests break it."""

import copy
import csv
from pathlib import Path

from wengang.core.ids import resident_id_check_char, uscc_check_char

TODAY = "2020-04-15"  # tests run with the clock frozen on this day


def make_uscc(first17: str) -> str:
    return first17 + uscc_check_char(first17)


def make_resident_id(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


UNIT_A = make_uscc("91360102MA35K8XN0")
UNIT_B = make_uscc("92360111L12345678")
MONTHS = ["2018-12", *(f"2019-{month:02d}" for month in range(1, 13)), "2020-01", "2020-02"]


def valid_rows() -> dict[str, list[dict[str, str]]]:
    """Two units, 15 months of contributions each, one row in every optional feed."""
    units = [
        {"uscc": UNIT_A, "name": "南昌市青山湖科技有限公司", "unit_type": "enterprise",
         "region_code": "360111", "industry_code": "65", "registered_on": "2012-05-10",
         "ui_insured_since": "2012-06-01", "is_labour_dispatch": "false",
         "legal_rep_name": "张伟", "legal_rep_id": make_resident_id("36010219800101123"),
         "contact_phone": "13800138000", "clerk_name": "李娜", "clerk_phone": "13900139000",
         "bank_name": "中国工商银行南昌分行", "bank_account": "6222020200112233445",
         "si_account": "3601000012345"},
        {"uscc": UNIT_B, "name": "东湖区便民小吃店", "unit_type": "individual_business",
         "region_code": "360102", "industry_code": "7010", "registered_on": "2018-11-02",
         "ui_insured_since": "2018-12-03", "is_labour_dispatch": "否",
         "legal_rep_name": "王芳", "legal_rep_id": "", "contact_phone": "15907910000",
         "clerk_name": "", "clerk_phone": "", "bank_name": "", "bank_account": "",
         "si_account": ""},
    ]
    contributions = []
    for unit, insured, due in ((UNIT_A, 25, "1234.50"), (UNIT_B, 3, "96.00")):
        for month in MONTHS:
            contributions.append({"uscc": unit, "month": month, "insured": str(insured),
                                  "due": due, "paid": due, "paid_on": f"{month}-15"})
    return {
        "units": units,
        "contributions": contributions,
        "separations": [{"uscc": UNIT_A, "person": "P0001", "separated_on": "2019-06-30",
                         "reason": "contract_end", "claims_benefit": "true"}],
        "tax": [{"uscc": UNIT_A, "year": "2019", "revenue": "5000000.00",
                 "total_assets": "12000000"}],
        "registry": [{"uscc": UNIT_A, "status": "active", "abnormal": "false",
                      "restructured_on": "", "restructure_kind": ""},
                     {"uscc": UNIT_B, "status": "active", "abnormal": "0",
                      "restructured_on": "2019-03-01", "restructure_kind": "conversion"}],
        "credit": [{"uscc": UNIT_B, "list": "serious_dishonesty", "listed_on": "2019-02-01",
                    "removed_on": "2019-08-01"}],
        "environment": [{"uscc": UNIT_A, "penalty_on": "2018-07-09", "severity": "general"}],
        "difficulty": [{"uscc": UNIT_A, "certified_by": "miit", "valid_from": "2020-02-01",
                        "valid_to": "2020-12-31"}],
        **person_rows(),
    }


PERSON_A = make_resident_id("36010219900307421")
PERSON_B = make_resident_id("36011119851120002")


PERSON_FEEDS = ("trainees", "course_completions", "certificates", "training_rosters",
                "paid_subsidies")


def person_rows() -> dict[str, list[dict[str, str]]]:
    """Two trainees and one row in each person-level feed of skills training."""
    return {
        "trainees": [
            {"resident_id": PERSON_A, "name": "刘洋", "phone": "13700137000",
             "region_code": "360102", "insured": "true", "insured_months": "30",
             "si_card_account": "6214830791234567"},
            {"resident_id": PERSON_B, "name": "陈静", "phone": "18907910001",
             "region_code": "360111", "insured": "是", "insured_months": "12",
             "si_card_account": ""},
        ],
        "course_completions": [
            {"resident_id": PERSON_A, "platform": "中国职业培训在线", "course_id": "KC2020-0001",
             "occupation_code": "4-01-02-01", "hours": "24", "completed_on": "2020-03-20",
             "certificate_id": "PX-0001"}],
        "certificates": [
            {"certificate_id": "S000001", "resident_id": PERSON_B, "level": "4",
             "occupation_code": "6-18-01-01", "issued_on": "2020-01-10"}],
        "training_rosters": [{"uscc": UNIT_A, "resident_id": PERSON_A, "month": "2020-03"}],
        "paid_subsidies": [
            {"subsidy": "skill_certificate", "reference": "S000000", "resident_id": PERSON_B,
             "paid_on": "2019-11-20", "amount": "1000.00"}],
    }


REQUIRED = ("units", "contributions", "registry")


def write_feed_set(folder: Path, rows: dict[str, list[dict[str, str]]] | None = None, *,
                   fmt: str = "csv", only: tuple[str, ...] | None = None) -> Path:
    """Write ``rows`` (default: the valid set) as one file per feed; returns the folder.

    ``only``: write just these feeds besides the required ones (a smaller set imports faster).
    """
    rows = valid_rows() if rows is None else rows
    folder.mkdir(parents=True, exist_ok=True)
    for feed, records in rows.items():
        if only is None or feed in REQUIRED or feed in only:
            write_feed(folder / f"{feed}.{fmt}", records)
    return folder


def write_feed(path: Path, records: list[dict[str, str]], *,
               columns: list[str] | None = None) -> Path:
    """Write one feed file; without records, a header of the contract's columns alone."""
    from wengang.feeds import FEEDS

    columns = columns or (list(records[0]) if records else list(FEEDS[path.stem].column_names))
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            writer.writerows([[record.get(column, "") for column in columns] for record in records])
    elif suffix == ".xlsx":
        import xlsxwriter

        workbook = xlsxwriter.Workbook(str(path))
        sheet = workbook.add_worksheet("data")
        sheet.write_row(0, 0, columns)
        for index, record in enumerate(records, start=1):
            for position, column in enumerate(columns):
                value = record.get(column, "")
                if value != "":
                    sheet.write_string(index, position, value)
        workbook.close()
    elif suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table({column: pa.array([record.get(column, "") or None for record in records],
                                           pa.string()) for column in columns})
        pq.write_table(table, path, row_group_size=10_000)
    else:
        raise ValueError(path)
    return path


def broken(change) -> dict[str, list[dict[str, str]]]:
    """The valid rows after ``change(rows)`` (which edits them in place)."""
    rows = copy.deepcopy(valid_rows())
    change(rows)
    return rows
