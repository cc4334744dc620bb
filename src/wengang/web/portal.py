"""The enterprise portal (mobile first): the unit's cases, why, confirm / apply, late claims.

An enterprise sees only its own unit (``Case.objects.visible_to``); confirming goes through
``cases.workflow.apply``, which checks everything again.
"""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from wengang.cases import services
from wengang.cases.errors import CaseError
from wengang.cases.models import Case, Channel, LateClaim
from wengang.core.clock import clock
from wengang.core.errors import CoreError

from .access import client_ip, enterprise_only, get_case_for
from .display import (
    ENTERPRISE_CAN_APPLY,
    commitment_text_for,
    explanation_reasons,
    program_name,
    reasons_of,
    timeline_steps,
)
from .forms import ConfirmForm, LateClaimForm


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


@enterprise_only
def late_claim(request: HttpRequest) -> HttpResponse:
    """补报: the claim is screened at once where the latest run's feeds hold the unit."""
    form = LateClaimForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            claim = services.file_late_claim(
                uscc=request.user.uscc, program=data["program"],
                claimant_name=data["claimant_name"], contact_phone=data["contact_phone"],
                reason=data["reason"], actor=request.user, channel=Channel.ONLINE)
        except (CaseError, CoreError) as error:  # window closed, a live case already, …
            form.add_error(None, str(error))
        else:
            return redirect("web:portal-late-claim-detail", pk=claim.pk)
    claims = LateClaim.objects.filter(uscc=request.user.uscc).order_by("-filed_at")
    return render(request, "web/portal/late_claim.html", {"form": form, "claims": claims},
                  status=400 if form.errors else 200)


@enterprise_only
def late_claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    claim = LateClaim.objects.filter(pk=pk, uscc=request.user.uscc).first()
    if claim is None:
        raise Http404("late claim")
    return render(request, "web/portal/late_claim_detail.html", {
        "claim": claim, "program_name": program_name(claim.program),
        "reasons": reasons_of(claim.explanation)})
