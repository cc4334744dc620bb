"""The synthetic city: a complete, valid, realistic feed set, the same bytes for the same seed.

``write_city(CitySpec(units=20_000), out_dir)`` writes every feed of FEEDS.md (units,
contributions, separations, tax, registry, credit, environment, difficulty) as CSV, Parquet or
XLSX, and in ``.answers/`` the answer keys: ``signals.csv`` (the fraud signals planted for the
risk checks) and, for a dirty city, ``faults.csv`` (every fault injected).
docs/synthetic-city.md describes what the city holds and how it is calibrated.

The work is columnar: numpy draws whole columns, Polars builds the strings, and contributions
are generated and written in chunks of units: a million units (16 million contribution rows)
take well under a minute and about 1 GB.
"""

import time
from dataclasses import dataclass, field
from datetime import datetime
from datetime import time as time_of_day
from pathlib import Path

import numpy as np
import polars as pl
from rich import box
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import departments, timeline
from .errors import SynthFormatError
from .faults import DirtyPlan
from .output import FEEDS, FORMATS, SUFFIX, XLSX_MAX_ROWS, FeedWriter, as_contract, file_name
from .population import Population, make_population
from .regions import city_districts
from .spec import CitySpec

__all__ = ["CitySpec", "CitySummary", "write_city"]

SIZE_BANDS = ((0, "0"), (1, "1–9"), (10, "10–19"), (20, "20–99"), (100, "100–299"),
              (300, "300–999"), (1000, "≥1000"))
TYPE_LABELS = {"enterprise": "企业", "individual_business": "个体工商户", "social_org": "社会团体",
               "foundation": "基金会", "social_service": "民办非企业", "law_firm": "律师事务所",
               "accounting_firm": "会计师事务所", "government": "机关",
               "public_institution": "事业单位"}
# Answer keys live in a hidden subfolder: a feed folder holds feeds only (the importer reports
# any other file or folder, but skips hidden ones).
ANSWERS = ".answers"
ANSWER_FILES = ("faults.csv", "signals.csv")


@dataclass
class CitySummary:
    """What was written: counts by unit type and size band, rows per feed, premiums, time."""

    spec: CitySpec
    out_dir: Path
    file_format: str
    city_name: str
    units_by_type: dict[str, list[int]]          # unit type → count per SIZE_BANDS entry
    rows: dict[str, int]                         # feed → data rows written
    premiums_due_fen: int
    premiums_paid_fen: int
    faults: int | None
    seconds: float
    files: list[Path] = field(default_factory=list)

    def as_table(self) -> Table:
        """Units by type and size band above, rows per feed and premiums below."""
        spec = self.spec
        bands = Table(box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False, collapse_padding=True,
                      caption="列：Y 年月均参保人数 / columns: mean insured over Y")
        bands.add_column("单位类型", no_wrap=True)
        for _, label in SIZE_BANDS:
            bands.add_column(label, justify="right", no_wrap=True)
        bands.add_column("合计", justify="right", no_wrap=True)
        for kind, counts in self.units_by_type.items():
            bands.add_row(TYPE_LABELS[kind], *[f"{c:,}" for c in counts], f"{sum(counts):,}")
        totals = np.sum(list(self.units_by_type.values()), axis=0)
        bands.add_row("合计 all", *[f"{c:,}" for c in totals], f"{totals.sum():,}", style="bold")
        facts = Table(box=box.SIMPLE_HEAD, padding=(0, 1), show_header=False)
        facts.add_column(no_wrap=True)
        facts.add_column(justify="right", no_wrap=True)
        for feed, rows in self.rows.items():
            facts.add_row(f"{feed} 行 rows", f"{rows:,}")
        facts.add_row("应缴保费 premiums due（元 yuan）", _yuan(self.premiums_due_fen))
        facts.add_row("实缴保费 premiums paid（元 yuan）", _yuan(self.premiums_paid_fen))
        if self.faults is not None:
            facts.add_row("注入错误 injected faults", f"{self.faults:,}",
                          style="yellow")
        keys = ", ".join(path.name for path in self.files if path.parent.name == ANSWERS)
        facts.add_row(f"答案文件 answer keys ({ANSWERS}/)", keys)
        facts.add_row("用时 time", f"{self.seconds:.1f} s")
        table = Table.grid(padding=(0, 0))
        table.title = (f"模拟城市 synthetic city · {self.city_name} {spec.region_code} · "
                       f"Y={spec.year} · as of {spec.screening_date} · seed {spec.seed}")
        table.caption = f"{self.out_dir} ({self.file_format})"
        table.add_row(bands)
        table.add_row(facts)
        return table


def write_city(spec: CitySpec, out_dir: Path | str, *, file_format: str = "csv",
               console: Console | None = None) -> CitySummary:
    """Generate the city of ``spec`` and write its feed set into ``out_dir``."""
    began = time.perf_counter()
    out_dir = Path(out_dir)
    _check_format(spec, file_format)
    city_name = city_districts(spec.region_code)[0].city_name
    out_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_files(out_dir, file_format)
    created = datetime.combine(spec.screening_date, time_of_day())
    chunk_count = -(-spec.units // timeline.CHUNK_UNITS)
    progress = Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                        console=console, transient=True, disable=console is None)
    with progress:
        task = progress.add_task(f"模拟城市 {city_name}: 单位 units", total=chunk_count + 3)
        population = make_population(spec)
        plan = DirtyPlan(spec, population, file_format) if spec.dirty else None

        def writer(feed: str) -> FeedWriter:
            return FeedWriter(out_dir, feed, file_format, text=plan is not None, created=created,
                              extra_column=plan.unknown_column[1] if plan is not None
                              and plan.unknown_column[0] == feed else None)

        def emit(target: FeedWriter, frame: pl.DataFrame, *, own_units: bool = False) -> None:
            frame = as_contract(frame, target.feed)
            if plan is not None:
                if not own_units:
                    frame = plan.drop_orphans(frame)
                frame = plan.apply(target.feed, frame, target.rows)
            target.write(frame)

        def finish(target: FeedWriter) -> int:
            if plan is not None:
                extra = plan.appended(target.feed, target.rows)
                if extra is not None:
                    target.write(extra)
            return target.close()

        rows: dict[str, int] = {}
        units_writer = writer("units")
        emit(units_writer, population.table, own_units=True)
        rows["units"] = finish(units_writer)
        progress.update(task, advance=1, description="缴费记录 contributions")

        mean_insured = np.full(len(population), np.nan)
        due = paid = 0
        contributions, separations = writer("contributions"), writer("separations")
        for chunk in timeline.chunks(spec, population):
            emit(contributions, chunk.contributions)
            emit(separations, chunk.separations)
            mean_insured[chunk.first_unit:chunk.first_unit + len(chunk.mean_insured)] = \
                chunk.mean_insured
            due += chunk.premiums_due
            paid += chunk.premiums_paid
            progress.update(task, advance=1)
        rows["contributions"] = finish(contributions)
        rows["separations"] = finish(separations)
        progress.update(task, advance=1, description="部门数据 department feeds")

        for feed, frame in (
                ("tax", departments.tax(spec, population, mean_insured)),
                ("registry", departments.registry(spec, population)),
                ("credit", departments.credit(spec, population)),
                ("environment", departments.environment(spec, population)),
                ("difficulty", departments.difficulty(spec, population))):
            target = writer(feed)
            emit(target, frame)
            rows[feed] = finish(target)
        progress.update(task, advance=1)

        files = [out_dir / file_name(feed, file_format) for feed in FEEDS]
        answers = out_dir / ANSWERS
        answers.mkdir(exist_ok=True)
        files.append(_write_signals(answers, population))
        if plan is not None:
            files.append(plan.write_answer_key(answers))
    return CitySummary(
        spec=spec, out_dir=out_dir, file_format=file_format, city_name=city_name,
        units_by_type=_units_by_type(population, mean_insured), rows=rows,
        premiums_due_fen=due, premiums_paid_fen=paid,
        faults=len(plan.faults) if plan is not None else None,
        seconds=time.perf_counter() - began, files=files)


def _check_format(spec: CitySpec, file_format: str) -> None:
    if file_format not in FORMATS:
        raise SynthFormatError(f"不支持的格式：{file_format}（可选 csv、parquet、xlsx）",
                               f"unknown format {file_format!r}: csv, parquet or xlsx",
                               code="format")
    if file_format == "xlsx" and spec.units * spec.months.count > XLSX_MAX_ROWS:
        raise SynthFormatError(
            f"XLSX 只适合小城市：{spec.units:,} 个单位约有 {spec.units * spec.months.count:,} "
            f"行缴费记录，超过每个文件 {XLSX_MAX_ROWS:,} 行的上限（Excel 每表最多 1,048,576 行，"
            "且大表难以打开）；请用 --format csv 或 parquet",
            f"XLSX is for small cities: {spec.units:,} units make up to "
            f"{spec.units * spec.months.count:,} contribution rows, more than {XLSX_MAX_ROWS:,} "
            "per file (a sheet holds 1,048,576 rows at most, and large ones barely open); "
            "use --format csv or parquet", code="xlsx_too_large")


def _remove_stale_files(out_dir: Path, file_format: str) -> None:
    """A feed set has one file per feed: drop this generator's files from an earlier run
    (another format, an old answer key), never anything else in the folder."""
    for feed in FEEDS:
        for other, suffix in SUFFIX.items():
            if other != file_format:
                (out_dir / (feed + suffix)).unlink(missing_ok=True)
    for name in ANSWER_FILES:
        (out_dir / ANSWERS / name).unlink(missing_ok=True)


def _write_signals(out_dir: Path, population: Population) -> Path:
    """The answer key of the planted fraud signals: one row per unit and signal."""
    frames = [pl.DataFrame({"uscc": population.uscc.filter(pl.Series(mask)),
                            "signal": pl.Series([name] * int(mask.sum()), dtype=pl.String)})
              for name, mask in population.signals.items()]
    path = out_dir / "signals.csv"
    pl.concat(frames).write_csv(path)
    return path


def _units_by_type(population: Population, mean_insured: np.ndarray) -> dict[str, list[int]]:
    insured = np.nan_to_num(mean_insured, nan=0.0)
    band = np.searchsorted([low for low, _ in SIZE_BANDS[1:]], insured, side="right")
    band = np.where(insured > 0, np.maximum(band, 1), 0)
    result = {}
    for kind in TYPE_LABELS:
        mask = population.unit_type == kind
        result[kind] = np.bincount(band[mask], minlength=len(SIZE_BANDS)).tolist()
    return result


def _yuan(fen: int) -> str:
    from wengang.core.money import fen_to_yuan

    return fen_to_yuan(fen, grouping=True)
