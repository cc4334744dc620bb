"""The enterprise portal (mobile first): the unit's cases, why, confirm / apply, late claims.

An enterprise sees only its own unit (``Case.objects.visible_to``); confirming goes through
``cases.workflow.apply``, which checks everything again.
"""

from collections.abc import Callable
from functools import cache

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from wengang.cases import services
from wengang.cases.compiled import CompiledQuery
from wengang.cases.errors import CaseError, LetterChanged
from wengang.cases.models import Case, CaseEvent, Channel, LateClaim
from wengang.core.clock import clock
from wengang.core.errors import CoreError
from wengang.zones import internet as internet_zone  # two-zone deployment: docs/two-zone.md
from wengang.zones.models import Submission
from wengang.zones.submissions import latest_for, submit_confirmation, submit_late_claim

from .access import client_ip, enterprise_only, get_case_for, is_htmx
from .display import (
    ENTERPRISE_CAN_APPLY,
    commitment_text_for,
    explanation_reasons,
    program_name,
    reasons_of,
    timeline_steps,
)
from .forms import ConfirmForm, LateClaimForm

# A case's card and page are rendered once per version of the case (``{% cache %}`` in the
# templates, keyed by the case's id, version and update time, the two-zone submission and the
# language): every change to a case adds one to its version, so a confirmation shows at once.
# Timelines are therefore read lazily, only for a card the cache does not hold.
CARD_CACHE_SECONDS = 1800


class _Timelines:
    """The events of a unit's cases, read in one query when the first card needs its steps
    (only what happened and when), not one query per case."""

    def __init__(self, cases: list[Case]):
        self.cases = cases
        self._events: dict[int, list] | None = None

    def steps(self, case: Case) -> Callable[[], list]:
        return lambda: timeline_steps(case, self._read()[case.pk])

    def _read(self) -> dict[int, list]:
        if self._events is None:
            self._events = {case.pk: [] for case in self.cases}
            for event in (CaseEvent.objects.filter(case__in=self.cases).order_by("at", "id")
                          .values_list("case_id", "action", "at", named=True)):
                self._events[event.case_id].append(event)
        return self._events


def _card(case: Case, steps: Callable[[], list]) -> dict:
    """What a card shows; ``steps`` is called by the template only when it renders the card."""
    # Two-zone deployment: a confirmation the intranet has not answered yet (internet only).
    submission = latest_for(case)
    awaiting = submission is not None and submission.status == "awaiting"
    return {"case": case, "program_name": program_name(case.program),
            "steps": steps, "submission": submission, "cache_seconds": CARD_CACHE_SECONDS,
            "can_apply": case.state in ENTERPRISE_CAN_APPLY and not awaiting}


@enterprise_only
def home(request: HttpRequest) -> HttpResponse:
    cases = list(Case.objects.visible_to(request.user).select_related("unit")
                 .order_by("-refund_year", "program"))
    timelines = _Timelines(cases)
    cards = [_card(case, timelines.steps(case)) for case in cases]
    unit = cases[0].unit if cases else None
    return render(request, "web/portal/home.html", {"cards": cards, "unit": unit})


@enterprise_only
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for(request.user, pk)
    return render(request, "web/portal/case.html", _case_page(case))


# Only what the card shows of each event (not who: that is for staff, on the console); the
# card of every confirmation reads them, so compiled once (``cases.compiled``).
_card_events = CompiledQuery(
    lambda case_id: CaseEvent.objects.for_case(Case(pk=case_id)).only("at", "action", "reason"),
    -(2**62) + 13)


def _case_page(case: Case) -> dict:
    """What the case's page (``case_card.html``) shows; read only if the cache lacks it."""
    events = cache(lambda: _card_events(case.pk))
    context = _card(case, lambda: timeline_steps(case, events()))
    context.update(reasons=lambda: explanation_reasons(case), events=events)
    return context


def _answer_confirmation(request: HttpRequest, case: Case, notice: str, *,
                         level: str = "success") -> HttpResponse:
    """Where a confirmation ends: the case with ``notice``.

    Without JS, Post/Redirect/Get: the notice is a flash message and the browser fetches the
    case page. With htmx (one tap on a phone), the POST's answer is the case's card itself,
    rendered from the case as stored after the commit, with the notice above it, in place of
    the confirmation card; the address becomes the case page's, so a refresh shows that page
    and re-submits nothing.
    """
    if not is_htmx(request):
        messages.add_message(request, messages.SUCCESS if level == "success" else messages.INFO,
                             notice)
        return redirect("web:portal-case", pk=case.pk)
    context = {**_case_page(case), "notice": notice, "notice_level": level}
    response = render(request, "web/portal/case_answer.html", context)
    response["HX-Push-Url"] = reverse("web:portal-case", kwargs={"pk": case.pk})
    return response


@enterprise_only
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for(request.user, pk)
    letter = commitment_text_for(case, clock.today())
    if case.state not in ENTERPRISE_CAN_APPLY or letter is None:
        return _answer_confirmation(request, case, _("该事项当前无需确认。"), level="info")
    form = ConfirmForm(request.POST or None, initial={
        "amount_fen": case.amount_fen, "version": case.version, "insured": case.insured,
        "letter": letter.sha256})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        case.version = data["version"]  # the version shown: a change since then is a conflict
        confirmation = services.Confirmation(
            size=case.size, insured=data["insured"], amount_fen=data["amount_fen"],
            signatory_name=data["signatory_name"], letter_sha256=data["letter"])
        try:
            if internet_zone():  # two-zone: recorded here, applied by the intranet's workflow
                submit_confirmation(case, actor=request.user, confirmation=confirmation,
                                    commitment_text=letter, origin=client_ip(request) or "")
            else:
                case = services.apply(case, actor=request.user, confirmation=confirmation,
                                      commitment_text=letter, origin=client_ip(request) or "",
                                      channel=Channel.ONLINE)
        except LetterChanged:
            # The new letter is on the page below, with its fingerprint for the next submission.
            form.data = form.data.copy()
            form.data["letter"] = letter.sha256
            form.add_error(None, _("承诺书已在您阅读后更新：请阅读下方的新承诺书，再确认提交。"))
        except CaseError as error:
            form.add_error(None, str(error))
        else:
            return _answer_confirmation(
                request, case, _("已提交确认，等待内网审核。") if internet_zone()
                else _("已确认并签署承诺书，请等待部门联审。"))
    # With htmx the card alone, in place of the one the form was in (errors above the form).
    template = "web/portal/confirm_card.html" if is_htmx(request) else "web/portal/confirm.html"
    return render(request, template, {"case": case, "letter": letter, "form": form,
                                      "program_name": program_name(case.program)})


@enterprise_only
def late_claim(request: HttpRequest) -> HttpResponse:
    """补报: the claim is screened at once where the latest run's feeds hold the unit."""
    form = LateClaimForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if internet_zone():  # two-zone: the intranet screens it; its answer comes back outward
            submit_late_claim(request.user.uscc, actor=request.user, **data)
            messages.success(request, _("已提交补报，等待内网审核。"))
            return redirect("web:portal-late-claim")
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
    # Two-zone: a claim is screened on the intranet and only its answer comes back.
    submissions = (Submission.objects.own(request.user, Submission.Kind.LATE_CLAIM)
                   if internet_zone() else [])
    return render(request, "web/portal/late_claim.html", {
        "form": form, "claims": claims, "submissions": submissions},
        status=400 if form.errors else 200)


@enterprise_only
def late_claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    claim = LateClaim.objects.filter(pk=pk, uscc=request.user.uscc).first()
    if claim is None:
        raise Http404("late claim")
    return render(request, "web/portal/late_claim_detail.html", {
        "claim": claim, "program_name": program_name(claim.program),
        "reasons": reasons_of(claim.explanation)})
