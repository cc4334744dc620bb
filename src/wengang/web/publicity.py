"""Publicity in the staff console: the region's publicity batches, their objections, and the
agency's steps (publish the approved cases, resolve an objection, close a period that ended).

Every step is a ``cases.services`` call, which checks role, region and dates again.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wengang.accounts.models import User
from wengang.cases import services
from wengang.cases.errors import CaseError
from wengang.cases.models import Objection, PublicityBatch
from wengang.core.clock import clock

from .access import BATCH_ROLES, DECIDER_ROLES, staff_only
from .display import program_name
from .forms import ProgramForm, ResolveObjectionForm

PAGE_SIZE = 50


def _batch_for(user: User, pk: int) -> PublicityBatch:
    batch = PublicityBatch.objects.visible_to(user).filter(pk=pk).first()
    if batch is None:
        raise Http404("publicity batch")
    return batch


@staff_only(*BATCH_ROLES)
def batches(request: HttpRequest) -> HttpResponse:
    listed = (PublicityBatch.objects.visible_to(request.user)
              .annotate(n=Count("items", distinct=True),
                        open_objections=Count("objections", distinct=True,
                                              filter=Q(objections__status=Objection.Status.OPEN)))
              .order_by("status", "-start_on", "-id"))
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/console/publicity_batches.html", {
        "page": page, "form": ProgramForm(), "today": clock.today(),
        "can_act": request.user.role in DECIDER_ROLES})


@staff_only(*BATCH_ROLES)
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch_for(request.user, pk)
    return render(request, "web/console/publicity_batch.html", {
        "batch": batch, "program_name": program_name(batch.program), "today": clock.today(),
        "items": batch.items.select_related("case__unit").order_by("case_id"),
        "objections": batch.objections.select_related("case__unit").order_by("status", "filed_at"),
        "resolve_form": ResolveObjectionForm(), "can_act": request.user.role in DECIDER_ROLES})


@staff_only(*DECIDER_ROLES)
@require_POST
def open_batch(request: HttpRequest) -> HttpResponse:
    form = ProgramForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择政策项目。"))
        return redirect("web:console-publicity")
    try:
        batch = services.open_publicity(actor=request.user, region_code=request.user.region_code,
                                        program=form.cleaned_data["program"])
    except CaseError as error:
        messages.error(request, str(error))
        return redirect("web:console-publicity")
    messages.success(request, _("已发布公示：%(start)s 至 %(end)s。") % {
        "start": batch.start_on, "end": batch.end_on})
    return redirect("web:console-publicity-batch", pk=batch.pk)


@staff_only(*DECIDER_ROLES)
@require_POST
def close_batch(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch_for(request.user, pk)
    try:
        moved = services.close_publicity(batch, actor=request.user)
    except CaseError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("公示已结束，%(n)d 件转为待拨付。") % {"n": moved})
    return redirect("web:console-publicity-batch", pk=batch.pk)


@staff_only(*DECIDER_ROLES)
@require_POST
def resolve_objection(request: HttpRequest, pk: int) -> HttpResponse:
    objection = (Objection.objects.select_related("case__unit", "batch")
                 .filter(pk=pk, batch__in=PublicityBatch.objects.visible_to(request.user)).first())
    if objection is None:
        raise Http404("objection")
    form = ResolveObjectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择处理结果并填写处理意见。"))
    else:
        try:
            services.resolve_objection(objection, actor=request.user,
                                       uphold=form.cleaned_data["outcome"] == "uphold",
                                       note=form.cleaned_data["note"])
        except CaseError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("异议已处理。"))
    return redirect("web:console-publicity-batch", pk=objection.batch_id)
