"""12333 call lists: pending call notices out as an Excel sheet with the script, results back in.

Export hands every pending call notice to the hotline (status sent) with the words to say;
the hotline fills in the result column, and import settles each notice: ``reached`` (接通) →
delivered, ``no_answer`` (未接通) → back to pending for the next list unless it has had its
tries, ``wrong_number`` (空号) → failed, ``opted_out`` (拒绝) → failed and the unit opted out of
calls. Nothing is changed unless the whole file reads cleanly.
"""

from dataclasses import dataclass
from pathlib import Path

import xlsxwriter
from django.db import transaction
from python_calamine import CalamineWorkbook

from wengang.core.clock import clock

from .errors import CallListInvalid
from .models import Channel, Notice, OptOut, Status
from .sending import Options, Renderer, settle

HEADER = ("告知编号 notice", "单位名称 unit", "统一社会信用代码 uscc", "电话 phone", "事项 topic",
          "话术 script", "结果 result", "备注 note")
RESULTS = {"reached": "reached", "接通": "reached", "no_answer": "no_answer",
           "未接通": "no_answer", "wrong_number": "wrong_number", "空号": "wrong_number",
           "opted_out": "opted_out", "拒绝": "opted_out"}


@dataclass(frozen=True)
class ImportSummary:
    reached: int
    no_answer: int
    wrong_number: int
    opted_out: int


def export_call_list(path: Path, *, region_code: str | None = None,
                     options: Options | None = None) -> int:
    """Write the pending call notices (priority cases first) to ``path``; return how many."""
    options = options or Options.from_environment()
    pending = (Notice.objects.on(Channel.CALL).due(clock.now())
               .select_related("case", "unit").order_by("-case__priority", "pk"))
    if region_code:
        pending = pending.in_region(region_code)
    notices = list(pending)
    renderer = Renderer(Channel.CALL, options.link_base)
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("12333")
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    sheet.write_row(0, 0, HEADER, book.add_format({"bold": True}))
    sheet.set_column(0, 4, 18)
    sheet.set_column(5, 5, 60, wrap)
    sheet.data_validation(1, 6, max(len(notices), 1), 6, {
        "validate": "list", "source": ["接通", "未接通", "空号", "拒绝"]})
    for row, notice in enumerate(notices, start=1):
        message = renderer.message(notice)
        # Ids and phones as text: Excel would drop leading zeros and round long numbers.
        sheet.write_string(row, 0, str(notice.pk))
        sheet.write_string(row, 1, notice.unit.name)
        sheet.write_string(row, 2, notice.unit.uscc)
        sheet.write_string(row, 3, notice.address)
        sheet.write_string(row, 4, notice.get_topic_display())
        sheet.write_string(row, 5, message.text, wrap)
    book.close()
    now = clock.now()
    for notice in notices:
        notice.status, notice.sent_at, notice.attempts = Status.SENT, now, notice.attempts + 1
    settle(notices)
    return len(notices)


def import_call_results(path: Path, *, max_attempts: int = 3) -> ImportSummary:
    """Settle the call notices of a results sheet filled in by the hotline."""
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    if not rows or [str(c).strip() for c in rows[0][:7]] != list(HEADER[:7]):
        raise CallListInvalid(str(path), "第 1 行 / row 1", "表头与导出的名单不一致",
                              "the header is not the exported one")
    outcomes: dict[str, list[int]] = {"reached": [], "no_answer": [], "wrong_number": [],
                                      "opted_out": []}
    for number, row in enumerate(rows[1:], start=2):
        cells = [str(c).strip() for c in row] + [""] * 8
        if not cells[6]:
            continue
        result = RESULTS.get(cells[6])
        if result is None or not cells[0].isdigit():
            raise CallListInvalid(str(path), f"第 {number} 行 / row {number}",
                                  f"结果“{cells[6]}”或编号“{cells[0]}”无法识别（应为 接通/未接通/空号/拒绝）",
                                  f"result {cells[6]!r} or id {cells[0]!r} unknown "
                                  "(reached/no_answer/wrong_number/opted_out)")
        outcomes[result].append(int(cells[0]))
    now = clock.now()
    calls = Notice.objects.on(Channel.CALL).filter(status=Status.SENT)
    with transaction.atomic():
        calls.filter(pk__in=outcomes["reached"]).update(status=Status.DELIVERED, delivered_at=now)
        calls.filter(pk__in=outcomes["no_answer"], attempts__gte=max_attempts).update(
            status=Status.FAILED, error="多次未接通 / not reached")
        calls.filter(pk__in=outcomes["no_answer"]).update(status=Status.PENDING,
                                                          next_attempt_at=now)
        calls.filter(pk__in=outcomes["wrong_number"]).update(status=Status.FAILED,
                                                             error="空号 / wrong number")
        refused = list(calls.filter(pk__in=outcomes["opted_out"]).values_list("unit_id", flat=True))
        calls.filter(pk__in=outcomes["opted_out"]).update(status=Status.FAILED,
                                                          error="拒绝来电 / opted out")
        OptOut.objects.bulk_create([OptOut(unit_id=unit_id, channel=Channel.CALL, at=now,
                                           source="12333 外呼拒绝") for unit_id in set(refused)],
                                   ignore_conflicts=True)
    return ImportSummary(*(len(outcomes[k]) for k in ("reached", "no_answer", "wrong_number",
                                                      "opted_out")))
