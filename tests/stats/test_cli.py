"""``wengang stats``: the headline table in the terminal, refresh, reports and roll-up files."""

import re

import pytest
from click.testing import CliRunner

from wengang.cli import main
from wengang.stats.models import Rollup

from .conftest import JIANGXI, JINGDEZHEN, NANCHANG
from .test_reports import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(monkeypatch):
    monkeypatch.setenv("WENGANG_STATS_KEY", "ab" * 32)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, ["stats", *args], catch_exceptions=False,
                             terminal_width=200)
    return invoke


def _cells(output: str, label: str) -> list[str]:
    line = next(line for line in output.splitlines() if label in line)
    return [cell.strip() for cell in re.split(r"[│┃|]", line) if cell.strip()]


def test_the_headline_table_before_and_after_a_refresh(scenario, run):
    refused = run()
    assert refused.exit_code == 1 and "wengang stats refresh" in refused.output
    refreshed = run("refresh")
    assert refreshed.exit_code == 0, refreshed.output
    assert "8 件案件 cases" in refreshed.output
    shown = run("--region", NANCHANG)
    assert shown.exit_code == 0, shown.output
    assert _cells(shown.output, "东湖区") == ["东湖区", "4", "3", "4,500.00", "34", "1,500.00",
                                            "75.00%"]
    assert _cells(shown.output, "合计") == ["合计", "6", "4", "14,500.00", "154", "3,625.00",
                                          "66.67%"]
    assert "中位数 median 23.5 天" in shown.output and "90 分位 p90 27 天" in shown.output
    assert "景德镇" not in shown.output
    everything = run("show")
    assert _cells(everything.output, "江西省") == ["江西省", "7", "5", "18,500.00", "204",
                                                "3,700.00", "71.43%"]


def test_an_unknown_region_is_refused(scenario, run):
    run("refresh")
    result = run("--region", "369999")
    assert result.exit_code == 1 and "未知的行政区划代码" in result.output


def test_reports_are_written_as_pdf_or_excel(scenario, run, tmp_path):
    run("refresh")
    pdf = tmp_path / "may.pdf"
    result = run("report", "monthly", "--month", "2020-05", "--region", NANCHANG, "--out", str(pdf))
    assert result.exit_code == 0, result.output
    assert "南昌市失业保险稳岗返还工作进展月报（2020年5月）" in pdf_text(pdf.read_bytes())
    xlsx = tmp_path / "may.xlsx"
    assert run("report", "monthly", "--month", "2020-05", "--out", str(xlsx)).exit_code == 0
    assert xlsx.read_bytes()[:2] == b"PK"
    bad = run("report", "monthly", "--month", "May", "--out", str(pdf))
    assert bad.exit_code == 2 and "YYYY-MM" in bad.output
    assert run("report", "publicity", "999", "--out", str(pdf)).exit_code == 1


def test_export_and_import_through_the_command_line(scenario, run, tmp_path):
    run("refresh")
    paths = []
    for code in (NANCHANG, JINGDEZHEN):
        path = tmp_path / f"{code}.json"
        assert run("export", "--region", code, "--out", str(path)).exit_code == 0
        paths.append(str(path))
    overlap = run("import", paths[0])
    assert overlap.exit_code == 1 and "重复计数" in overlap.output
    Rollup.objects.filter(source="").delete()
    from wengang.stats.models import ROW_MODELS

    for model in ROW_MODELS:
        model.objects.filter(source="").delete()
    imported = run("import", *paths)
    assert imported.exit_code == 0, imported.output
    shown = run("--region", JIANGXI)
    assert _cells(shown.output, "合计")[1:4] == ["7", "5", "18,500.00"]
