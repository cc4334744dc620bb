"""Chart tables as Excel: one sheet per table, money in yuan with two decimals, rates as %."""

import io

import xlsxwriter

from .charts import MONEY, RATE, ChartTable


def _sheet_name(title: str, used: set[str]) -> str:
    # Excel: at most 31 characters, none of []:*?/\ and unique within the workbook.
    name = "".join(ch for ch in title if ch not in "[]:*?/\\")[:28] or "Sheet"
    candidate, n = name, 2
    while candidate in used:
        candidate, n = f"{name}{n}", n + 1
    used.add(candidate)
    return candidate


def workbook(tables: list[ChartTable], *, heading: list[str] | None = None) -> bytes:
    """The tables as an .xlsx file; ``heading`` lines (scope, as-of date) above each table."""
    buffer = io.BytesIO()
    used: set[str] = set()
    with xlsxwriter.Workbook(buffer, {"in_memory": True}) as book:
        bold = book.add_format({"bold": True})
        money = book.add_format({"num_format": "#,##0.00"})
        rate = book.add_format({"num_format": "0.00%"})
        for table in tables:
            sheet = book.add_worksheet(_sheet_name(table.title, used))
            row = 0
            sheet.write(row, 0, table.title, bold)
            for line in heading or []:
                row += 1
                sheet.write(row, 0, line)
            row += 2
            sheet.write_row(row, 0, [column.header for column in table.columns], bold)
            for cells in table.rows:
                row += 1
                for col, (cell, column) in enumerate(zip(cells, table.columns)):
                    if cell is None:
                        sheet.write_blank(row, col, None)
                    elif column.kind == MONEY:
                        sheet.write_number(row, col, int(cell) / 100, money)
                    elif column.kind == RATE:
                        sheet.write_number(row, col, float(cell), rate)
                    elif isinstance(cell, int):
                        sheet.write_number(row, col, cell)
                    else:
                        sheet.write_string(row, col, str(cell))
            sheet.set_column(0, 0, 24)
            sheet.set_column(1, len(table.columns), 14)
    return buffer.getvalue()
