"""Policy as code: programs with dated parameters, legal references and checked expressions.

    policy = load_policy()                      # shipped programs + region overrides
    resolved = policy.resolve("inclusive-2020", on=date(2020, 4, 15), region_code="360100",
                              settings={"ratio_sme": "0.9"})
    resolved.rule_sql["layoff_rate"]            # DuckDB SQL over screening features

Framework-free: never imports Django.
"""

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .errors import (
    ExpressionNotAllowed,
    OverrideNotAllowed,
    ParameterNotInForce,
    PolicyError,
    PolicyFileError,
    UnknownParameter,
    UnknownProgram,
)
from .features import FEATURES, Feature
from .loader import RegionOverrides, load_program, load_region_overrides, parse_value
from .model import Parameter, Program, ResolvedProgram, Rule

SHIPPED = Path(__file__).parent

__all__ = [
    "FEATURES", "ExpressionNotAllowed", "Feature", "OverrideNotAllowed", "Parameter",
    "ParameterNotInForce", "PolicyError", "PolicyFileError", "PolicySet", "Program",
    "RegionOverrides", "ResolvedProgram", "Rule", "UnknownParameter", "UnknownProgram",
    "load_policy",
]


@dataclass(frozen=True)
class PolicySet:
    """All programs and region overrides one installation knows."""

    programs: Mapping[str, Program]
    regions: Mapping[str, RegionOverrides] = field(default_factory=dict)

    def program(self, program_id: str) -> Program:
        try:
            return self.programs[program_id]
        except KeyError:
            known = ", ".join(sorted(self.programs))
            raise UnknownProgram(f"没有项目 {program_id}（已有：{known}）",
                                 f"no program {program_id} (known: {known})") from None

    def region_chain(self, region_code: str) -> list[RegionOverrides]:
        """Overrides that apply to a region, national → province → city → county."""
        codes = [region_code[:2] + "0000", region_code[:4] + "00", region_code]
        seen: list[str] = []
        for code in codes:
            if code not in seen:
                seen.append(code)
        return [self.regions[code] for code in seen if code in self.regions]

    def resolve(self, program_id: str, *, on: date, region_code: str,
                settings: Mapping[str, str] | None = None) -> ResolvedProgram:
        """Fix a program for one screening: national values, region overrides, then ``settings``.

        ``settings`` are ``--set`` texts; names the program lacks are ignored here (several
        programs are screened at once), and ``check_settings`` reports names no program has.
        """
        program = self.program(program_id)
        overrides: dict[str, object] = {}
        for region in self.region_chain(region_code):
            for name in program.parameters:
                found, value = region.value_on(program, name, on)
                if found:
                    overrides[name] = value
        for name, text in (settings or {}).items():
            parameter = program.parameters.get(name)
            if parameter is None:
                continue
            try:
                overrides[name] = parse_value(text, unit=parameter.unit, choices=parameter.choices)
            except ValueError as error:
                raise OverrideNotAllowed(f"--set {name}={text}：取值不合法（{error}）",
                                         f"--set {name}={text}: invalid value ({error})") from None
        return program.resolve(on=on, overrides=overrides)

    def check_settings(self, program_ids: Iterable[str], settings: Mapping[str, str]) -> None:
        """Refuse a ``--set`` name that none of the chosen programs has (a typo must not vanish)."""
        names = set().union(*(self.program(p).parameters for p in program_ids))
        for name in settings:
            if name not in names:
                raise UnknownParameter(f"所选项目都没有参数 {name}（--set {name}）",
                                       f"none of the chosen programs has a parameter {name}")


def load_policy(*extra_dirs: Path) -> PolicySet:
    """Load the shipped programs and region overrides, then those in ``extra_dirs``.

    ``WENGANG_POLICY_DIR`` (colon-separated) adds a city's own folders; each folder may hold
    ``programs/*.yaml`` and ``regions/*.yaml``. A later folder may not redefine a program id.
    """
    folders = [SHIPPED, *extra_dirs]
    folders += [Path(p) for p in os.environ.get("WENGANG_POLICY_DIR", "").split(":") if p]
    programs: dict[str, Program] = {}
    for folder in folders:
        for path in sorted((folder / "programs").glob("*.yaml")):
            program = load_program(path)
            if program.id in programs:
                raise PolicyFileError(str(path), None, f"项目 {program.id} 已在 {programs[program.id].source} 中定义",
                                      f"program {program.id} is already defined in {programs[program.id].source}")
            programs[program.id] = program
    regions: dict[str, RegionOverrides] = {}
    for folder in folders:
        for path in sorted((folder / "regions").glob("*.yaml")):
            region = load_region_overrides(path, programs)
            regions[region.region_code] = region
    return PolicySet(programs=programs, regions=regions)
