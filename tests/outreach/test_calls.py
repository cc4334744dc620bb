"""12333 call lists: exported with the script, results read back, nothing half-applied."""

import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from wengang.outreach.calls import HEADER, export_call_list, import_call_results
from wengang.outreach.errors import CallListInvalid
from wengang.outreach.models import Channel, Notice, OptOut, Status
from wengang.outreach.planning import plan

from .conftest import options

pytestmark = pytest.mark.django_db


def results_file(path, rows, header=HEADER):
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, header)
    for i, row in enumerate(rows, start=1):
        sheet.write_row(i, 0, row)
    book.close()
    return path


@pytest.fixture
def exported(make_case, tmp_path):
    cases = [make_case(route="application") for _ in range(5)]
    plan(channels=[Channel.CALL])
    count = export_call_list(tmp_path / "calls.xlsx", options=options())
    return cases, count, tmp_path / "calls.xlsx"


def test_the_call_list_has_one_row_per_call_with_the_script(exported):
    _, count, path = exported
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert count == 5 and len(rows) == 6 and tuple(rows[0]) == HEADER
    first = rows[1]
    notice = Notice.objects.on(Channel.CALL).get(pk=int(first[0]))
    assert first[3] == notice.address and first[2] == notice.unit.uscc
    assert "一分钟即可完成" in first[5]
    assert set(Notice.objects.on(Channel.CALL).values_list("status", flat=True)) == {Status.SENT}
    # Handed to the hotline once: a second export has nothing left.
    assert export_call_list(path.with_name("again.xlsx"), options=options()) == 0


def test_results_settle_each_call(exported, tmp_path):
    ids = [str(pk) for pk in Notice.objects.on(Channel.CALL).order_by("pk").values_list("pk", flat=True)]
    results = results_file(tmp_path / "results.xlsx", [
        [ids[0], "", "", "", "", "", "接通"], [ids[1], "", "", "", "", "", "未接通"],
        [ids[2], "", "", "", "", "", "空号"], [ids[3], "", "", "", "", "", "拒绝"],
        [ids[4], "", "", "", "", "", ""]])

    summary = import_call_results(results)

    assert (summary.reached, summary.no_answer, summary.wrong_number, summary.opted_out) == (1, 1, 1, 1)
    assert list(Notice.objects.on(Channel.CALL).order_by("pk").values_list("status", flat=True)) == [
        Status.DELIVERED, Status.PENDING, Status.FAILED, Status.FAILED, Status.SENT]
    refused = Notice.objects.on(Channel.CALL).get(pk=ids[3])
    assert OptOut.objects.filter(unit=refused.unit, channel=Channel.CALL).exists()


@pytest.mark.parametrize(("attempts", "status"), [(2, Status.PENDING), (3, Status.FAILED)])
def test_an_unanswered_call_is_tried_again_up_to_three_times(exported, tmp_path, attempts, status):
    notice = Notice.objects.on(Channel.CALL).order_by("pk").first()
    Notice.objects.on(Channel.CALL).filter(pk=notice.pk).update(attempts=attempts)
    import_call_results(results_file(tmp_path / "r.xlsx", [[str(notice.pk), "", "", "", "", "", "未接通"]]))
    notice.refresh_from_db()
    assert notice.status == status


def test_a_bad_row_is_refused_and_nothing_changes(exported, tmp_path):
    ids = [str(pk) for pk in Notice.objects.on(Channel.CALL).order_by("pk").values_list("pk", flat=True)]
    bad = results_file(tmp_path / "bad.xlsx", [[ids[0], "", "", "", "", "", "接通"],
                                               [ids[1], "", "", "", "", "", "打不通"]])
    with pytest.raises(CallListInvalid) as refused:
        import_call_results(bad)
    assert "row 3" in str(refused.value) and "打不通" in str(refused.value)
    assert set(Notice.objects.on(Channel.CALL).values_list("status", flat=True)) == {Status.SENT}


def test_a_sheet_with_another_header_is_refused(exported, tmp_path):
    with pytest.raises(CallListInvalid):
        import_call_results(results_file(tmp_path / "x.xlsx", [], header=("id", "result")))
