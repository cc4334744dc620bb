"""A synthetic training population: trainees, online course completions, skill certificates,
on-the-job training rosters and the ledger of subsidies paid — the same bytes for the same seed.

``write_training(TrainingSpec(completions=1_000_000), out_dir)`` adds the person-level feeds to
a feed folder (usually beside a synthetic city's feeds, whose units the rosters name). It plants
what the screening must catch: the same course finished on two platforms, a second certificate
of the same occupation and level, certificates and courses already paid, more than three
certificates a year, roster spells longer than six months. docs/training.md describes it.

Columnar like the city generator: numpy draws whole columns, Polars builds the strings, and
completions are written in chunks of trainees, so ten million rows never sit in memory at once.
"""

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from .errors import SynthSpecError
from .identifiers import digit_points, digit_strings, join_points
from .names import choose, concat, mobile_numbers, person_names, where
from .regions import city_districts

PLATFORMS = ("中国职业培训在线", "学习强国", "腾讯课堂", "智联职培", "中华会计网校",
             "技能中国", "人社云课堂", "工匠学院")
OCCUPATION_MAJORS = ("2", "3", "4", "5", "6")
_RID_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
_CHUNK_TRAINEES = 250_000
_EPOCH = np.datetime64("2020-01-01", "D")


@dataclass(frozen=True)
class TrainingSpec:
    """How many records, which seed, which city; dates fall in 2020 (the campaign year)."""

    completions: int = 200_000
    certificates: int = 20_000
    trainees: int | None = None  # default: one per eight completions (at least 100)
    seed: int = 2020
    region_code: str = "360100"
    courses: int = 3_000
    duplicate_share: float = 0.01  # completions repeated on another platform
    as_of: date = date(2020, 12, 31)

    def __post_init__(self) -> None:
        if self.completions < 0 or self.certificates < 0 or (self.trainees or 1) < 1:
            raise SynthSpecError("记录数不能为负，参训人数至少为1",
                                 "record counts cannot be negative; at least one trainee",
                                 code="training_counts")
        if not 0 <= self.duplicate_share < 0.5:
            raise SynthSpecError("重复比例须在 0 与 0.5 之间", "duplicate_share must be in [0, 0.5)",
                                 code="training_duplicates")

    @property
    def trainee_count(self) -> int:
        return self.trainees or max(100, self.completions // 8)

    def rng(self, stream: str) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence([self.seed & 0xFFFFFFFF,
                                                              *stream.encode()]))


@dataclass(frozen=True)
class TrainingSummary:
    rows: dict[str, int]
    planted: dict[str, int]


def write_training(spec: TrainingSpec, out_dir: Path, *, file_format: str = "parquet",
                   console=None) -> TrainingSummary:
    """Write the person-level feeds of ``spec`` into ``out_dir`` (CSV or Parquet)."""
    if file_format not in ("csv", "parquet"):
        raise SynthSpecError(f"培训数据只支持 csv 或 parquet：{file_format}",
                             f"training feeds are written as csv or parquet, not {file_format}",
                             code="training_format")
    out_dir.mkdir(parents=True, exist_ok=True)
    districts = city_districts(spec.region_code)
    counties = np.array([int(d.code) for d in districts])
    weights = np.array([d.weight for d in districts])
    trainees = _trainees(spec, counties, weights / weights.sum())
    ids = trainees["resident_id"]
    rows, planted = {"trainees": len(trainees)}, {}
    _write(trainees, out_dir / f"trainees.{file_format}")
    with _progress(console) as progress:
        task = progress.add_task("线上培训结业 / course completions", total=spec.completions)
        rows["course_completions"], planted["course_repeated_on_another_platform"], paid_courses = (
            _completions(spec, ids, out_dir / f"course_completions.{file_format}",
                         advance=lambda n: progress.advance(task, n)))
    certificates, planted["certificate_same_level_twice"] = _certificates(spec, ids)
    rows["certificates"] = len(certificates)
    _write(certificates, out_dir / f"certificates.{file_format}")
    paid = _paid(spec, certificates, paid_courses)
    planted["certificate_paid_before"] = int((paid["subsidy"] == "skill_certificate").sum())
    planted["course_paid_before"] = int((paid["subsidy"] == "online_training").sum())
    rows["paid_subsidies"] = len(paid)
    _write(paid, out_dir / f"paid_subsidies.{file_format}")
    rosters = _rosters(spec, ids, out_dir)
    if rosters is not None:
        rows["training_rosters"] = len(rosters)
        _write(rosters, out_dir / f"training_rosters.{file_format}")
    return TrainingSummary(rows=rows, planted=planted)


# -- trainees ---------------------------------------------------------------------------------

def _trainees(spec: TrainingSpec, counties: np.ndarray, weights: np.ndarray) -> pl.DataFrame:
    """Distinct resident IDs: the trainee's number fixes birth date and sequence together."""
    rng = spec.rng("trainees")
    count = spec.trainee_count
    county = counties[rng.choice(len(counties), size=count, p=weights)]
    number = rng.permutation(count)
    # One birth day per thousand trainees, spread over 1965–2004, with 1,000 sequences each:
    # distinct IDs for up to 14 million trainees.
    step = max(1, 14_600 // -(-count // 1000))
    born = np.datetime64("1965-01-01", "D") + (number // 1000 * step).astype("timedelta64[D]")
    male = number % 2 == 1
    months = np.where(rng.random(count) < 0.15, rng.integers(8, 17, size=count),
                      rng.integers(0, 241, size=count))
    card = rng.random(count) < 0.85
    return pl.DataFrame({
        "resident_id": _resident_ids(county, born, number % 1000),
        "name": person_names(rng, male),
        "phone": mobile_numbers(rng, count),
        "region_code": digit_strings(county, 6),
        "insured": np.where(rng.random(count) < 0.9, "true", "false"),
        "insured_months": months.astype(np.int64),
        "si_card_account": where(card, concat("621483", digit_strings(
            rng.integers(0, 10**10, size=count), 10)), None),
    })


def _resident_ids(county: np.ndarray, born: np.ndarray, sequence: np.ndarray) -> pl.Series:
    """GB 11643 numbers from county, birth day and 3-digit sequence (unique inputs, unique IDs)."""
    years = born.astype("datetime64[Y]").astype(np.int64) + 1970
    months = born.astype("datetime64[M]").astype(np.int64) % 12 + 1
    days = (born - born.astype("datetime64[M]")).astype(np.int64) + 1
    points = np.empty((len(born), 18), dtype=np.uint32)
    points[:, 0:6] = digit_points(county, 6)
    points[:, 6:14] = digit_points(years * 10_000 + months * 100 + days, 8)
    points[:, 14:17] = digit_points(sequence, 3)
    check = (12 - ((points[:, :17].astype(np.int64) - ord("0")) @ _RID_WEIGHTS) % 11) % 11
    points[:, 17] = np.where(check == 10, ord("X"), check + ord("0"))
    return join_points(points)


# -- courses ----------------------------------------------------------------------------------

def _catalogue(spec: TrainingSpec) -> tuple[pl.Series, pl.Series]:
    """Course ids and the occupation each trains for (a shared national catalogue)."""
    rng = spec.rng("catalogue")
    ids = concat("KC2020-", digit_strings(np.arange(spec.courses), 5))
    return ids, _occupations(rng, spec.courses)


def _occupations(rng: np.random.Generator, count: int) -> pl.Series:
    major = choose(rng, OCCUPATION_MAJORS, count)
    return concat(major, "-", digit_strings(rng.integers(1, 40, size=count), 2), "-",
                  digit_strings(rng.integers(1, 20, size=count), 2), "-",
                  digit_strings(rng.integers(1, 10, size=count), 2))


def _days(rng: np.random.Generator, count: int, first: str, last: str) -> np.ndarray:
    start = np.datetime64(first, "D")
    span = int((np.datetime64(last, "D") - start).astype(np.int64)) + 1
    return start + rng.integers(0, span, size=count).astype("timedelta64[D]")


def _completions(spec: TrainingSpec, ids: pl.Series, path: Path, *, advance):
    """Write completions in chunks of trainees; each trainee's courses are distinct, and a
    share of completions is repeated on another platform a few weeks later."""
    rng = spec.rng("completions")
    catalogue, occupation = _catalogue(spec)
    trainees = len(ids)
    base_total = round(spec.completions / (1 + spec.duplicate_share))
    per_trainee = np.minimum(rng.poisson(base_total / trainees, size=trainees), spec.courses)
    per_trainee = _trim_to(per_trainee, base_total)
    writer, written, repeated, paid = _Writer(path), 0, 0, []
    for start in range(0, trainees, _CHUNK_TRAINEES):
        counts = per_trainee[start:start + _CHUNK_TRAINEES]
        person = np.repeat(np.arange(start, start + len(counts)), counts)
        nth = np.arange(len(person)) - np.repeat(np.cumsum(counts) - counts, counts)
        # Distinct courses per trainee: an offset plus multiples of a stride coprime to the
        # catalogue size.
        course = (person * 7919 + nth * 104_729) % spec.courses
        platform = rng.integers(0, len(PLATFORMS), size=len(person))
        day = _days(rng, len(person), "2020-02-01", "2020-11-30")
        again = rng.random(len(person)) < spec.duplicate_share
        room = spec.completions - written - len(person)
        again &= np.cumsum(again) <= max(room, 0)
        person = np.concatenate([person, person[again]])
        course = np.concatenate([course, course[again]])
        platform = np.concatenate([platform, (platform[again] + 1 + rng.integers(
            0, len(PLATFORMS) - 1, size=int(again.sum()))) % len(PLATFORMS)])
        day = np.concatenate([day, day[again] + rng.integers(
            1, 30, size=int(again.sum())).astype("timedelta64[D]")])
        order = rng.permutation(len(person))  # platforms deliver in no particular order
        person, course, platform, day = person[order], course[order], platform[order], day[order]
        frame = pl.DataFrame({
            "resident_id": ids.gather(person),
            "platform": pl.Series(PLATFORMS).gather(platform),
            "course_id": catalogue.gather(course),
            "occupation_code": occupation.gather(course),
            "hours": rng.integers(4, 65, size=len(person)).astype(np.int64),
            "completed_on": day,
            "certificate_id": where(rng.random(len(person)) < 0.95, concat(
                "PX", digit_strings(rng.integers(0, 10**10, size=len(person)), 10)), None),
        })
        paid.append(frame.filter(pl.Series(rng.random(len(frame)) < 0.005))
                    .select("resident_id", "course_id", "completed_on"))
        writer.write(frame)
        written += len(frame)
        repeated += int(again.sum())
        advance(len(frame))
    writer.close()
    paid_courses = pl.concat(paid).unique(["resident_id", "course_id"], keep="first",
                                          maintain_order=True)
    return written, repeated, paid_courses


def _trim_to(counts: np.ndarray, total: int) -> np.ndarray:
    """Adjust per-trainee counts (from the last trainees back) so they sum to ``total``."""
    counts = counts.copy()
    difference = total - int(counts.sum())
    if difference > 0:
        counts[: difference % len(counts)] += 1
        counts += difference // len(counts)
    position = len(counts) - 1
    while difference < 0 and position >= 0:
        taken = min(int(counts[position]), -difference)
        counts[position] -= taken
        difference += taken
        position -= 1
    return counts


# -- certificates, payments, rosters ----------------------------------------------------------

def _certificates(spec: TrainingSpec, ids: pl.Series) -> tuple[pl.DataFrame, int]:
    """Certificates of random trainees; a share repeats the previous certificate's person,
    occupation and level (a re-issue), so the second must not be paid."""
    rng = spec.rng("certificates")
    count = spec.certificates
    person = rng.integers(0, len(ids), size=count)
    level = rng.choice(np.array(["5", "4", "3", "2", "1"]), size=count,
                       p=[0.45, 0.3, 0.15, 0.07, 0.03])
    occupation = _occupations(rng, count)
    day = _days(rng, count, "2019-10-01", "2020-12-20")
    repeat = np.zeros(count, dtype=bool)
    repeat[1:] = rng.random(max(count - 1, 0)) < 0.005  # none at all: a city may issue none
    source = np.where(repeat, np.arange(count) - 1, np.arange(count))
    person, level = person[source], level[source]
    occupation = occupation.gather(source)
    day = np.where(repeat, day[source] + np.timedelta64(10, "D"), day)
    frame = pl.DataFrame({
        "certificate_id": concat("S", digit_strings(rng.permutation(count) + 10**8, 9)),
        "resident_id": ids.gather(person),
        "level": level,
        "occupation_code": occupation,
        "issued_on": np.minimum(day, np.datetime64(spec.as_of, "D")),
    })
    return frame, int(repeat.sum())


def _paid(spec: TrainingSpec, certificates: pl.DataFrame, courses: pl.DataFrame) -> pl.DataFrame:
    """The ledger: 1% of certificates and a few courses paid already (claimed twice if again)."""
    rng = spec.rng("paid")
    chosen = certificates.filter(pl.Series(rng.random(len(certificates)) < 0.01))
    as_of = np.datetime64(spec.as_of, "D")
    # Typed: a constant over no rows (a city without certificates) is otherwise of type Null.
    schema = {"subsidy": pl.String, "reference": pl.String, "resident_id": pl.String,
              "paid_on": pl.Date, "amount": pl.String}
    certificate_rows = pl.DataFrame({
        "subsidy": "skill_certificate", "reference": chosen["certificate_id"],
        "resident_id": chosen["resident_id"],
        "paid_on": np.minimum(chosen["issued_on"].to_numpy() + np.timedelta64(20, "D"), as_of),
        "amount": "1000.00"}, schema_overrides=schema)
    course_rows = pl.DataFrame({
        "subsidy": "online_training", "reference": courses["course_id"],
        "resident_id": courses["resident_id"],
        "paid_on": np.minimum(courses["completed_on"].to_numpy() + np.timedelta64(15, "D"),
                              as_of),
        "amount": "100.00"}, schema_overrides=schema)
    return pl.concat([certificate_rows, course_rows])


def _rosters(spec: TrainingSpec, ids: pl.Series, out_dir: Path) -> pl.DataFrame | None:
    """Rosters of 3% of the folder's units (none without a units feed): 1–15 staff each, spells
    of 1–9 consecutive months from February 2020 (some beyond the six paid)."""
    units = _units(out_dir)
    if units is None or not len(units):
        return None
    rng = spec.rng("rosters")
    chosen = units.filter(pl.Series(rng.random(len(units)) < 0.03))
    staff = rng.integers(1, 16, size=len(chosen))
    unit = np.repeat(np.arange(len(chosen)), staff)
    person = rng.integers(0, len(ids), size=len(unit))
    first = rng.integers(1, 8, size=len(unit))  # 2020-02 … 2020-08
    length = rng.integers(1, 10, size=len(unit))
    length = np.minimum(length, 12 - first)
    spell = np.repeat(np.arange(len(unit)), length)
    month = first[spell] + np.arange(len(spell)) - np.repeat(np.cumsum(length) - length, length)
    frame = pl.DataFrame({
        "uscc": chosen.gather(unit[spell]),
        "resident_id": ids.gather(person[spell]),
        "month": concat("2020-", digit_strings(month + 1, 2)),
    })
    return frame.unique(["uscc", "resident_id", "month"], keep="first", maintain_order=True)


def _units(out_dir: Path) -> pl.Series | None:
    for suffix, read in (("parquet", pl.read_parquet), ("csv", pl.read_csv)):
        path = out_dir / f"units.{suffix}"
        if path.exists():
            kwargs = {"columns": ["uscc"]} if suffix == "parquet" else {
                "columns": ["uscc"], "schema_overrides": {"uscc": pl.String}}
            return read(path, **kwargs)["uscc"]
    return None


# -- writing ----------------------------------------------------------------------------------

def _write(frame: pl.DataFrame, path: Path) -> None:
    writer = _Writer(path)
    writer.write(frame)
    writer.close()


class _Writer:
    """Append frames to one CSV or Parquet file (dates ISO, text as written)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._csv = path.suffix == ".csv"
        self._handle = path.open("wb") if self._csv else None
        self._parquet: pq.ParquetWriter | None = None
        self._header = True

    def write(self, frame: pl.DataFrame) -> None:
        frame = frame.with_columns(pl.col(pl.Date).dt.strftime("%Y-%m-%d"))
        if self._csv:
            frame.write_csv(self._handle, include_header=self._header)
            self._header = False
            return
        table = frame.to_arrow()
        table = table.cast(pa.schema([pa.field(f.name, pa.string() if pa.types.is_large_string(
            f.type) else f.type) for f in table.schema]))
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self.path, table.schema, compression="zstd")
        self._parquet.write_table(table, row_group_size=122_880)

    def close(self) -> None:
        if self._handle:
            self._handle.close()
        if self._parquet:
            self._parquet.close()


def _progress(console) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn(
        "{task.completed:,}/{task.total:,}"), TimeElapsedColumn(), console=console,
        disable=console is None)
