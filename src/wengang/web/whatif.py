"""What-if (政策测算) in the console: cost a parameter change on a snapshot before adopting it.

The form runs ``screening.simulate`` for the officer's region and ``simulation_report`` writes
its files (comparison.xlsx among them) into a folder of its own; the page shows the comparison
with a chart (baseline vs scenario by program, size, industry and district) and offers the
Excel file. A simulation of a city takes seconds, so it runs within the request. Only the
session that ran a simulation may download its file (the folder name is a random token).
"""

import secrets
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from wengang.core.errors import CoreError
from wengang.core.regions import children
from wengang.feeds import open_snapshot
from wengang.screening import snapshot_source
from wengang.screening.simulate import Simulation, simulate
from wengang.screening.simulation_report import write_simulation_report

from .access import DECIDER_ROLES, XLSX, staff_only
from .display import program_name, size_name
from .forms import WhatIfForm

SESSION_KEY = "what_if"
KEPT_PER_SESSION = 5
DIMENSIONS = ("program", "size", "industry", "region")
CHANGES_LISTED = 50


def what_if_dir() -> Path:
    return Path(getattr(settings, "WENGANG_WHAT_IF_DIR", settings.DATA_DIR / "what-if"))


def _label(dimension: str, value: str, region_names: dict[str, str]) -> str:
    if dimension == "program":
        return program_name(value)
    if dimension == "size":
        return size_name(value)
    if dimension == "region":
        return f"{value} {region_names.get(value, '')}".strip()
    return value  # the industry section, already a name


def _chart(rows: list[tuple]) -> dict:
    """Baseline and scenario in yuan per group, for charts.js."""
    return {"labels": [row[0] for row in rows],
            "series": [{"name": _("基准"), "values": [row[3] / 100 for row in rows]},
                       {"name": _("调整后"), "values": [row[4] / 100 for row in rows]}]}


def _results(simulation: Simulation, *, token: str, region_names: dict[str, str]) -> dict:
    """Write the report's files under ``token``; the page's tables, chart data and changes."""
    with simulation.connection:  # closed once read: DuckDB holds both runs in memory
        write_simulation_report(simulation, what_if_dir() / token, region_names=region_names)
        comparison = simulation.comparison()
        results = {"token": token, "winners_and_losers": simulation.winners_and_losers(),
                   "changes": simulation.changes(limit=CHANGES_LISTED)}
    # (label, baseline units, scenario units, baseline fen, scenario fen) per group
    tables: dict[str, list[tuple]] = {dimension: [] for dimension in DIMENSIONS}
    for dimension, value, *figures in comparison:
        tables[dimension].append((_label(dimension, value, region_names), *figures))
    return {**results, "tables": list(tables.items()),
            "charts": {dimension: _chart(rows) for dimension, rows in tables.items()}}


@staff_only(*DECIDER_ROLES)
def what_if(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = WhatIfForm(request.POST or None)
    context: dict = {"form": form}
    status = 200
    if request.method == "POST" and not user.region_code:
        form.add_error(None, _("您的账户没有设置行政区划，不能测算。"))
        status = 400
    elif request.method == "POST" and not form.is_valid():
        status = 400
    elif request.method == "POST":
        data = form.cleaned_data
        token = secrets.token_urlsafe(16)
        names = {region.code: region.name for region in children(user.region_code)}
        try:
            source = snapshot_source(open_snapshot(settings.WENGANG_SNAPSHOT_DIR, data["snapshot"]))
            simulation = simulate(source, programs=data["programs"], as_of=data["as_of"],
                                  region_code=user.region_code, settings=data["changes"])
        except CoreError as error:  # an unknown parameter, a value above a ceiling …
            form.add_error(None, str(error))
            status = 400
        else:
            context.update(_results(simulation, token=token, region_names=names))
            request.session[SESSION_KEY] = [token, *request.session.get(SESSION_KEY, [])][
                :KEPT_PER_SESSION]
    return render(request, "web/console/what_if.html", context, status=status)


@staff_only(*DECIDER_ROLES)
def what_if_xlsx(request: HttpRequest, token: str) -> FileResponse:
    if token not in request.session.get(SESSION_KEY, []):
        raise Http404("what-if")
    path = what_if_dir() / token / "comparison.xlsx"
    if not path.is_file():
        raise Http404("what-if")
    return FileResponse(path.open("rb"), as_attachment=True, filename="comparison.xlsx",
                        content_type=XLSX)
