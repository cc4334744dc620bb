"""The enterprise portal (mobile first): the unit's cases, why, and confirm / apply.

An enterprise sees only its own unit (``Case.objects.visible_to``); confirming goes through
``cases.workflow.apply``, which checks everything again.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from wengang.cases import services
from wengang.cases.errors import CaseError
from wengang.cases.models import Case, Channel
from wengang.core.clock import clock

from .access import client_ip, enterprise_only, get_case_for
from .display import (
    ENTERPRISE_CAN_APPLY,
    commitment_text_for,
    explanation_reasons,
    program_name,
    timeline_steps,
)
from .forms import ConfirmForm


def _card(case: Case) -> dict:
    events = services.timeline(case)
    return {"case": case, "program_name": program_name(case.program),
            "steps": timeline_steps(case, events), "can_apply": case.state in ENTERPRISE_CAN_APPLY}


@enterprise_only
def home(request: HttpRequest) -> HttpResponse:
    cases = (Case.objects.visible_to(request.user).select_related("unit")
             .order_by("-refund_year", "program"))
    cards = [_card(case) for case in cases]
    unit = cards[0]["case"].unit if cards else None
    return render(request, "web/portal/home.html", {"cards": cards, "unit": unit})


@enterprise_only
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for(request.user, pk)
    context = _card(case)
    context.update(reasons=explanation_reasons(case), events=services.timeline(case))
    return render(request, "web/portal/case.html", context)


@enterprise_only
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for(request.user, pk)
    letter = commitment_text_for(case, clock.today())
    if case.state not in ENTERPRISE_CAN_APPLY or letter is None:
        messages.info(request, _("该事项当前无需确认。"))
        return redirect("web:portal-case", pk=case.pk)
    form = ConfirmForm(request.POST or None, initial={
        "amount_fen": case.amount_fen, "version": case.version, "insured": case.insured})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        case.version = data["version"]  # the version shown: a change since then is a conflict
        confirmation = services.Confirmation(
            size=case.size, insured=data["insured"], amount_fen=data["amount_fen"],
            signatory_name=data["signatory_name"])
        try:
            services.apply(case, actor=request.user, confirmation=confirmation,
                           commitment_text=letter, origin=client_ip(request) or "",
                           channel=Channel.ONLINE)
        except CaseError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("已确认并签署承诺书，请等待部门联审。"))
            return redirect("web:portal-case", pk=case.pk)
    return render(request, "web/portal/confirm.html",
                  {"case": case, "letter": letter, "form": form,
                   "program_name": program_name(case.program)})
