"""Write a what-if simulation for people: a table (CSV and Excel), a chart (PNG) and a page (HTML)."""

import base64
import csv
import html
from pathlib import Path

import xlsxwriter

from wengang.core.money import fen_to_yuan

from .simulate import Simulation
from .summary import SIZE_NAMES

DIMENSION_NAMES = {"program": "项目", "size": "规模", "industry": "行业门类", "region": "行政区划"}
HEADER = ["维度 dimension", "分组 group", "基准单位数 baseline units", "调整后单位数 scenario units",
          "基准金额（元）baseline yuan", "调整后金额（元）scenario yuan", "变化（元）change yuan"]


def _rows(simulation: Simulation, region_names: dict[str, str]) -> list[list]:
    rows = []
    for dimension, value, base_units, new_units, base_fen, new_fen in simulation.comparison():
        label = SIZE_NAMES.get(value, value) if dimension == "size" else value
        if dimension == "region":
            label = f"{value} {region_names.get(value, '')}".strip()
        rows.append([DIMENSION_NAMES[dimension], label, base_units, new_units,
                     fen_to_yuan(base_fen), fen_to_yuan(new_fen), fen_to_yuan(new_fen - base_fen)])
    return rows


def write_simulation_report(simulation: Simulation, out_dir: Path, *,
                            region_names: dict[str, str] | None = None) -> dict[str, Path]:
    """Write comparison.csv/.xlsx, changes.csv, chart.png and report.html into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = _rows(simulation, region_names or {})
    paths = {name: out_dir / name for name in
             ("comparison.csv", "comparison.xlsx", "changes.csv", "chart.png", "report.html")}
    with paths["comparison.csv"].open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    _write_xlsx(paths["comparison.xlsx"], rows)
    with paths["changes.csv"].open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["uscc", "program", "baseline_eligible", "scenario_eligible",
                         "baseline_amount", "scenario_amount", "change"])
        for uscc, program, base_ok, new_ok, base_fen, new_fen, delta in simulation.changes():
            writer.writerow([uscc, program, str(base_ok).lower(), str(new_ok).lower(),
                             fen_to_yuan(base_fen), fen_to_yuan(new_fen), fen_to_yuan(delta)])
    _write_chart(paths["chart.png"], simulation)
    _write_html(paths["report.html"], simulation, rows, paths["chart.png"])
    return paths


def _write_xlsx(path: Path, rows: list[list]) -> None:
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("测算对比")
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7"})
    money = workbook.add_format({"num_format": "#,##0.00"})
    sheet.write_row(0, 0, HEADER, bold)
    for number, row in enumerate(rows, start=1):
        sheet.write_row(number, 0, row[:4])
        for column in (4, 5, 6):
            sheet.write_number(number, column, float(row[column]), money)
    sheet.set_column(0, 0, 12)
    sheet.set_column(1, 1, 36)
    sheet.set_column(2, 6, 20)
    sheet.freeze_panes(1, 0)
    workbook.close()


def _write_chart(path: Path, simulation: Simulation) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    for family in ("WenQuanYi Zen Hei", "Noto Sans CJK SC"):
        if any(family in font.name for font in font_manager.fontManager.ttflist):
            plt.rcParams["font.sans-serif"] = [family]
            break
    data = [row for row in simulation.comparison() if row[0] in ("program", "size")]
    figure, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for axis, dimension, title in ((axes[0], "program", "按项目"), (axes[1], "size", "按规模")):
        part = [row for row in data if row[0] == dimension]
        labels = [SIZE_NAMES.get(row[1], row[1]) if dimension == "size" else row[1] for row in part]
        positions = range(len(part))
        axis.bar([p - 0.2 for p in positions], [row[4] / 1e6 for row in part], 0.4, label="基准")
        axis.bar([p + 0.2 for p in positions], [row[5] / 1e6 for row in part], 0.4, label="调整后")
        axis.set_xticks(list(positions), labels, rotation=15)
        axis.set_title(f"返还金额（万元）{title}")
        axis.legend()
    settings = "，".join(f"{k}={v}" for k, v in simulation.settings.items())
    figure.suptitle(f"政策测算：{settings}")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _write_html(path: Path, simulation: Simulation, rows: list[list], chart: Path) -> None:
    gained_units, gained_fen, lost_units, lost_fen = simulation.winners_and_losers()
    settings = "，".join(f"{k} = {v}" for k, v in simulation.settings.items())
    image = base64.b64encode(chart.read_bytes()).decode()
    table = "\n".join(
        "<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>" for row in rows)
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in HEADER)
    path.write_text(f"""<!doctype html>
<html lang="zh-hans"><head><meta charset="utf-8"><title>政策测算 {html.escape(settings)}</title>
<style>body{{font-family:sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px}}td:nth-child(n+3){{text-align:right}}</style></head>
<body><h1>政策测算 / what-if</h1>
<p>调整参数：{html.escape(settings)}</p>
<p>增加金额的单位 {gained_units:,} 家，共增加 {fen_to_yuan(gained_fen, grouping=True)} 元；
减少金额的单位 {lost_units:,} 家，共减少 {fen_to_yuan(lost_fen, grouping=True)} 元。</p>
<img alt="对比图" src="data:image/png;base64,{image}">
<table><thead><tr>{head}</tr></thead><tbody>{table}</tbody></table>
</body></html>
""", encoding="utf-8")
