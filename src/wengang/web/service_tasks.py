"""Service-officer tasks (服务专员) in the console: restructured, merged or split units that a
person handles. Officers of the region take a task and close it with what they did; every step
is a ``cases.service_officers`` call, which checks role and region again.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wengang.accounts.models import User
from wengang.cases import services
from wengang.cases.errors import CaseError
from wengang.cases.models import ServiceOfficerTask
from wengang.cases.service_officers import OFFICERS

from .access import CONSOLE_ROLES, staff_only
from .forms import CompleteServiceTaskForm

PAGE_SIZE = 50


def _task_for(user: User, pk: int) -> ServiceOfficerTask:
    task = ServiceOfficerTask.objects.visible_to(user).filter(pk=pk).first()
    if task is None:
        raise Http404("service task")
    return task


@staff_only(*CONSOLE_ROLES)
def tasks(request: HttpRequest) -> HttpResponse:
    page = Paginator(ServiceOfficerTask.objects.visible_to(request.user)
                     .select_related("unit", "assigned_to"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/console/service_tasks.html", {
        "page": page, "form": CompleteServiceTaskForm(),
        "can_handle": request.user.role in OFFICERS})


@staff_only(*OFFICERS)
@require_POST
def take(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task_for(request.user, pk)
    try:
        services.assign_service_task(task, actor=request.user, officer=request.user)
    except CaseError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("已领取任务。"))
    return redirect("web:console-service-tasks")


@staff_only(*OFFICERS)
@require_POST
def complete(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task_for(request.user, pk)
    form = CompleteServiceTaskForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写办理情况。"))
        return redirect("web:console-service-tasks")
    try:
        services.complete_service_task(task, actor=request.user, note=form.cleaned_data["note"])
    except CaseError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("任务已办结。"))
    return redirect("web:console-service-tasks")
