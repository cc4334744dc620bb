"""The policy browser (read-only): programs, their parameters with dates, units, meanings and
legal references (文号), and the values in force on a day in a region after the national →
province → city overrides. Everything comes from the policy files (``wengang.policy``)."""

from dataclasses import dataclass
from datetime import date

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from wengang.policy import Parameter, PolicyError, RegionOverrides, load_policy

from .access import CONSOLE_ROLES, staff_only
from .forms import PolicyViewForm

UNIT_NAMES = {"fraction": _("比例（0–1）"), "yuan": _("元"), "count": _("个数"), "bool": _("是/否"),
              "choice": _("选项"), "list": _("列表"), "working_days": _("工作日")}


@dataclass(frozen=True)
class Override:
    region: RegionOverrides
    values: tuple  # (start date, value or None) pairs, as the region file gives them


@dataclass(frozen=True)
class ParameterRow:
    parameter: Parameter
    description: str
    unit: str
    overrides: list[Override]
    in_force: object        # the value for the chosen day and region; None: none in force
    in_force_from: str      # "national" or the region code whose file sets it


def _overrides(chain: list[RegionOverrides], program_id: str, name: str) -> list[Override]:
    found = []
    for region in chain:
        for key in (program_id, "*"):
            if values := region.values.get(key, {}).get(name):
                found.append(Override(region, values))
                break
    return found


@staff_only(*CONSOLE_ROLES)
def programs(request: HttpRequest) -> HttpResponse:
    policy = load_policy()
    listed = sorted(policy.programs.values(), key=lambda p: (-p.refund_year, p.id))
    return render(request, "web/policy/programs.html", {"programs": listed})


@staff_only(*CONSOLE_ROLES)
def program_detail(request: HttpRequest, program_id: str) -> HttpResponse:
    policy = load_policy()
    program = policy.programs.get(program_id)
    if program is None:
        raise Http404("program")
    form = PolicyViewForm(request.GET or {"region": request.user.region_code or "",
                                          "on": date(program.refund_year, 6, 30)})
    rows, problem, chain = [], "", []
    english = get_language() == "en"
    if form.is_valid():
        on, region_code = form.cleaned_data["on"], form.cleaned_data["region"]
        chain = policy.region_chain(region_code) if region_code else []
        in_force: dict = {}
        try:
            in_force = dict(policy.resolve(program.id, on=on, region_code=region_code).parameters)
        except PolicyError as error:  # e.g. a day before the program's parameters start
            problem = str(error)
        for name, parameter in program.parameters.items():
            overrides = _overrides(chain, program.id, name)
            setting = [o.region.region_code for o in overrides
                       if o.region.value_on(program, name, on)[0]]
            rows.append(ParameterRow(
                parameter=parameter,
                description=parameter.description_en if english else parameter.description,
                unit=str(UNIT_NAMES.get(parameter.unit, parameter.unit)),
                overrides=overrides, in_force=in_force.get(name),
                in_force_from=setting[-1] if setting else "national"))
    return render(request, "web/policy/program.html", {
        "program": program, "name": program.name_en if english else program.name,
        "form": form, "rows": rows, "chain": chain, "problem": problem})
