"""Appeals (申请复核): an enterprise questions the decision on its case; the agency answers.

The enterprise files from the case page of the portal; the agency of the unit's region sees the
open ones in the console (and on its dashboard) and answers. An appeal changes no case state:
where the enterprise is right, the officer acts through the case workflow, then answers.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wengang.cases.errors import PreconditionFailed
from wengang.core.clock import clock
from wengang.zones import internet as internet_zone  # two-zone deployment: docs/two-zone.md
from wengang.zones.submissions import submit_appeal

from .access import CONSOLE_ROLES, DECIDER_ROLES, enterprise_only, get_case_for, staff_only
from .display import program_name
from .forms import AnswerAppealForm, AppealForm
from .models import Appeal

PAGE_SIZE = 50


@enterprise_only
def file_appeal(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for(request.user, pk)
    form = AppealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                appeal = Appeal.objects.create(case=case, filed_by=request.user,
                                               filed_at=clock.now(),
                                               reason=form.cleaned_data["reason"])
                if internet_zone():  # two-zone: the intranet files and answers it
                    submit_appeal(appeal)
        except IntegrityError:  # the constraint: one open appeal per case
            form.add_error(None, _("该事项已有待答复的复核申请，请等待经办机构答复。"))
        else:
            messages.success(request, _("复核申请已提交，经办机构将答复您。"))
            return redirect("web:portal-case", pk=case.pk)
    return render(request, "web/portal/appeal.html", {
        "case": case, "form": form, "program_name": program_name(case.program),
        "appeals": Appeal.objects.visible_to(request.user).filter(case=case).order_by("-filed_at")},
        status=400 if form.errors else 200)


@staff_only(*CONSOLE_ROLES)
def appeals(request: HttpRequest) -> HttpResponse:
    listed = Appeal.objects.visible_to(request.user).select_related("case__unit")
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/console/appeals.html", {
        "page": page, "form": AnswerAppealForm(),
        "can_answer": request.user.role in DECIDER_ROLES})


@staff_only(*DECIDER_ROLES)
@require_POST
def answer_appeal(request: HttpRequest, pk: int) -> HttpResponse:
    visible = Appeal.objects.visible_to(request.user)
    if not visible.filter(pk=pk).exists():
        raise Http404("appeal")
    form = AnswerAppealForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写答复。"))
        return redirect("web:console-appeals")
    try:
        visible.answer(pk, actor=request.user, answer=form.cleaned_data["answer"])
    except PreconditionFailed:
        messages.error(request, _("该复核申请已答复。"))
    else:
        messages.success(request, _("已答复。"))
    return redirect("web:console-appeals")
