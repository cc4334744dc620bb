"""Screen one unit at once, with the rules and code of a full run (``wengang.screening``).

    decision = screen_unit(source, uscc="9136…", program="inclusive-2020",
                           as_of=date(2020, 6, 1), region_code="360100")
    decision = screen_confirmed(case, ConfirmedFacts(size="small", insured=12))

Two uses: a late claim (补报) is decided the day it is filed, from the feeds of the latest loaded
run or from a feed folder supplied for the unit; and a confirmation whose size or headcount
differs from what screening found is decided again with the confirmed facts, from the feeds of
the run the case's decision came from, under the same policy files (checked by SHA-256).

The unit's rows of every feed are copied into a temporary folder that is screened like any
other, with the programs of the same stacking group that the run screened (a unit keeps the
larger refund).
Confirmed facts replace the screened size and year-end headcount (and the net-headcount layoff
rate, which is computed from it) before the rules run. Risk flags compare units with one
another (shared accounts, phones); one unit alone has none: the next full run adds them.
"""

import tempfile
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from wengang.feeds import FEEDS
from wengang.policy import PolicySet, load_policy
from wengang.screening import FeedSource
from wengang.screening.risk import DEFAULT_THRESHOLDS
from wengang.screening.run import (
    RESULT_TABLE,
    connect,
    evaluate,
    prepare_features,
    resolve_programs,
)

from . import loading  # a module: loading imports workflow, which imports this module
from .errors import InputsChanged, RunRecordError
from .models import Case


@dataclass(frozen=True)
class ConfirmedFacts:
    """What an enterprise confirms in place of what screening found."""

    size: str
    insured: int


@dataclass(frozen=True)
class UnitDecision:
    """One unit's result row under one program (FEEDS.md, screening result), plus its facts."""

    program: str
    eligible: bool
    amount_fen: int
    size: str
    route: str
    layoff_rate: Decimal | None
    insured: int | None
    priority: bool
    failed: str
    explanation: str
    unit: dict
    """The unit's row of the units feed with its registry facts (for a unit not yet loaded)."""


def _copy_unit_rows(con, source: FeedSource, uscc: str, folder: Path) -> FeedSource | None:
    """The feeds of ``source`` narrowed to ``uscc`` in ``folder``; ``None`` if the unit is absent."""
    files = {}
    for feed, path in source.files.items():
        if "resident_id" in FEEDS[feed].column_names:
            continue  # a person-level feed (skills training): unit screening reads none
        reader = (f"read_csv('{_literal(path)}', header = true, all_varchar = true)"
                  if path.suffix == ".csv" else f"read_parquet('{_literal(path)}')")
        con.execute(f"CREATE OR REPLACE TEMP TABLE one_{feed} AS "
                    f"SELECT * FROM {reader} WHERE uscc = ?", [uscc])
        if feed == "units" and not con.execute("SELECT count(*) FROM one_units").fetchall()[0][0]:
            return None
        target = folder / f"{feed}{'.csv' if path.suffix == '.csv' else '.parquet'}"
        options = "FORMAT csv, HEADER true" if path.suffix == ".csv" else "FORMAT parquet"
        con.execute(f"COPY one_{feed} TO '{_literal(target)}' ({options})")
        files[feed] = target
    return FeedSource(kind=source.kind, path=folder, snapshot_id=source.snapshot_id, files=files)


def _literal(path: Path) -> str:
    return str(path.resolve()).replace("'", "''")


def _group(policy: PolicySet, program_id: str, screened_with: Collection[str] | None) -> list[str]:
    """The program and every program it does not stack with (same stacking group), among
    ``screened_with`` when given: a run settles stacking only among the programs it screened."""
    program = policy.program(program_id)
    if program.stacking is None:
        return [program_id]
    return sorted(p.id for p in policy.programs.values()
                  if p.stacking is not None and p.stacking.group == program.stacking.group
                  and p.refund_year == program.refund_year
                  and (screened_with is None or p.id in screened_with or p.id == program_id))


def screen_unit(source: FeedSource, *, uscc: str, program: str, as_of: date, region_code: str,
                settings: dict[str, str] | None = None, policy: PolicySet | None = None,
                facts: ConfirmedFacts | None = None,
                screened_with: Collection[str] | None = None) -> UnitDecision | None:
    """Decide ``uscc`` under ``program`` from ``source``; ``None`` when the unit is not in it.

    ``screened_with``: the programs of the run this decision stands beside (default: the
    program's whole stacking group).
    """
    policy = policy or load_policy()
    resolved = resolve_programs(policy, _group(policy, program, screened_with), as_of=as_of,
                                region_code=region_code, settings=settings or {})
    con = connect()
    try:
        with tempfile.TemporaryDirectory(prefix="wg-unit-") as folder:
            one = _copy_unit_rows(con, source, uscc, Path(folder))
            if one is None:
                return None
            tables = prepare_features(con, one, years={r.program.assessment_year for r in resolved},
                                      as_of=as_of, region_code=region_code,
                                      risk=DEFAULT_THRESHOLDS, step=lambda _label: None)
            target = next(r for r in resolved if r.id == program)
            features = tables[target.program.assessment_year][0]
            if not con.execute(f"SELECT count(*) FROM {features}").fetchall()[0][0]:
                return None  # the unit lies outside the region
            if facts is not None:
                for year_features, _risk in tables.values():
                    _confirm(con, year_features, facts)
            evaluate(con, RESULT_TABLE, resolved, tables, one)
            return _decision(con, features, program, target.priority_sql)
    finally:
        con.close()


def _confirm(con, features: str, facts: ConfirmedFacts) -> None:
    """Replace the screened size and year-end headcount with the confirmed ones.

    The net-headcount layoff rate is the one feature computed from the year-end headcount;
    it follows the same formula as ``screening.features``.
    """
    con.execute(f"""
        UPDATE {features} SET size = $size, year_end_insured = $insured,
            layoff_rate_net_headcount = CASE WHEN baseline_insured > 0
                THEN greatest(0, baseline_insured - $insured) / baseline_insured ELSE 0 END""",
                {"size": facts.size, "insured": facts.insured})


def _decision(con, features: str, program: str, priority_sql: str | None) -> UnitDecision:
    eligible, amount_fen, size, route, layoff_rate, failed, explanation = con.execute(f"""
        SELECT eligible, amount_fen, size, route, CAST(layoff_rate AS VARCHAR),
               array_to_string(failed, ';'), explanation
        FROM {RESULT_TABLE} WHERE program = ?""", [program]).fetchall()[0]
    insured, priority = con.execute(
        f"SELECT year_end_insured, coalesce(({priority_sql or 'false'}), false) FROM {features}"
    ).fetchall()[0]
    cursor = con.execute("SELECT * FROM units")
    unit = dict(zip([c[0] for c in cursor.description], cursor.fetchall()[0], strict=True))
    registry = con.execute("SELECT restructured_on, restructure_kind FROM registry").fetchall()
    unit["restructured_on"], unit["restructure_kind"] = registry[0] if registry else (None, None)
    return UnitDecision(program=program, eligible=eligible, amount_fen=int(amount_fen), size=size,
                        route=route, layoff_rate=Decimal(layoff_rate) if layoff_rate else None,
                        insured=insured, priority=bool(priority), failed=failed,
                        explanation=explanation, unit=unit)


def screen_confirmed(case: Case, facts: ConfirmedFacts, *,
                     policy: PolicySet | None = None) -> UnitDecision:
    """Decide ``case`` again with the confirmed facts, as the run behind its decision did.

    Raises ``InputsChanged`` when that run's feeds are gone or altered, ``RunRecordError`` when
    a policy file changed since: the amount could not be the one that run would give.
    """
    run = case.screening_run
    policy = policy or load_policy()
    for program_id, recorded in (run.record.get("programs") or {}).items():
        if program_id in policy.programs and recorded.get("policy_sha256") not in (
                None, policy.program(program_id).source_sha256):
            raise RunRecordError(
                f"{program_id} 的政策文件在筛查后已修改，无法按原政策重新测算；请重新筛查",
                f"the policy file of {program_id} changed since run #{run.pk}: the amount "
                "cannot be recomputed under the same policy; screen again")
    source = loading.run_inputs(run.record)
    loading.check_inputs(source, run.record)
    decision = screen_unit(source, uscc=case.unit.uscc, program=case.program, as_of=run.as_of,
                           region_code=run.region_code, settings=run.settings, policy=policy,
                           facts=facts, screened_with=run.programs)
    if decision is None:
        raise InputsChanged(f"筛查批次 #{run.pk} 的数据中没有单位 {case.unit.uscc}",
                            f"unit {case.unit.uscc} is not in the feeds of run #{run.pk}")
    return decision
