"""The public policy explainer (政策解读): what the refund is, who qualifies, how much, how to
confirm — for anyone, no login. Every number and 文号 comes from the policy files (``wengang
.policy``), national standard on the chosen day, or a region's values where one is chosen."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from wengang.core.clock import clock
from wengang.core.errors import RegionError
from wengang.core.money import fen_to_yuan
from wengang.core.regions import get_region
from wengang.policy import PolicyError, load_policy

from .access import public


class ExplainerForm(forms.Form):
    region = forms.RegexField(label=gettext_lazy("行政区划代码"), regex=r"^[0-9]{6}$",
                              required=False, help_text=gettext_lazy("如 360100；空：全国标准"))

    def clean_region(self) -> str:
        code = self.cleaned_data["region"]
        if code:
            try:
                get_region(code)
            except RegionError as error:
                raise forms.ValidationError(str(error)) from None
        return code


@dataclass(frozen=True)
class Line:
    description: str
    value: str
    reference: str


def show(value, unit: str) -> str:
    """A parameter's value in words a reader knows: 100%, ¥1,585.00, 12, 是 …"""
    if value is None:
        return _("（未设定）")
    if unit == "fraction":
        return f"{(Decimal(str(value)) * 100).normalize():f}%"
    if unit == "yuan":
        return "¥" + fen_to_yuan(int(Decimal(str(value)) * 100), grouping=True)
    if unit == "bool":
        return _("是") if value else _("否")
    if unit == "working_days":
        return _("%(n)s 个工作日") % {"n": value}
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    return str(value)


def program_day(refund_year: int, today: date) -> date:
    """The day whose values are shown: today within the refund year, else its last day."""
    return today if today.year == refund_year else date(refund_year, 12, 31)


@public
def explainer(request: HttpRequest) -> HttpResponse:
    policy = load_policy()
    form = ExplainerForm(request.GET or None)
    region = form.cleaned_data["region"] if form.is_valid() else ""
    english, today = get_language() == "en", clock.today()
    programs = []
    for program in sorted(policy.programs.values(), key=lambda p: (-p.refund_year, p.kind)):
        on = program_day(program.refund_year, today)
        try:
            values = dict(policy.resolve(program.id, on=on, region_code=region).parameters)
        except PolicyError as error:  # a region file that does not cover the day
            values, problem = {}, str(error)
        else:
            problem = ""
        programs.append({
            "program": program, "name": program.name_en if english else program.name, "on": on,
            "problem": problem, "rules": [rule.description for rule in program.rules],
            "lines": [Line(p.description_en if english and p.description_en else p.description,
                           show(values.get(name), p.unit), p.reference)
                      for name, p in program.parameters.items()]})
    return render(request, "web/public/policy.html", {
        "programs": programs, "form": form, "region": region,
        "region_name": get_region(region).name if region else ""},
        status=400 if form.errors else 200)
