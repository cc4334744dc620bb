"""Department review (部门联审): a department's tasks, a batch's cases beside what the
department's own data says about each unit, agree or object.

A reviewer sees the tasks of their own department in their region subtree; the decision goes
through ``cases.review.record_decision``, which checks department and region again.
"""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from wengang.cases import services
from wengang.cases.errors import CaseError
from wengang.cases.models import ReviewTask
from wengang.cases.review import cases_in
from wengang.core.clock import clock

from .access import REVIEWER_ROLES, staff_only
from .department_data import department_facts
from .display import program_name


@staff_only(*REVIEWER_ROLES)
def tasks(request: HttpRequest) -> HttpResponse:
    listed = ReviewTask.objects.for_reviewer(request.user).select_related("batch").order_by("status", "-batch__priority", "due_on", "id")
    return render(request, "web/review/tasks.html",
                  {"tasks": listed[:200], "today": clock.today()})


@staff_only(*REVIEWER_ROLES)
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = ReviewTask.objects.for_reviewer(request.user).select_related("batch").filter(pk=pk).first()
    if task is None:
        raise Http404("task")
    cases = list(cases_in(task.batch).select_related("unit").order_by("pk"))
    error = ""
    if request.method == "POST":
        objections = {case.pk: request.POST.get(f"reason_{case.pk}", "")
                      for case in cases if request.POST.get(f"object_{case.pk}")}
        if request.POST.get("decision") == "agree":
            objections = {}
        elif not objections:
            error = _("请勾选有异议的案件并填写理由，或选择“全部同意”。")
        if not error:
            try:
                services.record_decision(task, actor=request.user, objections=objections,
                                         note=request.POST.get("note", ""))
            except CaseError as refused:
                error = str(refused)
            else:
                messages.success(request, _("联审意见已提交。"))
                return redirect("web:review-task", pk=task.pk)
    facts, facts_problem = department_facts(task.department, cases)
    return render(request, "web/review/task.html", {
        "task": task, "batch": task.batch, "cases": cases, "error": error,
        "facts": facts, "facts_problem": facts_problem,
        "program_name": program_name(task.batch.program), "today": clock.today(),
        "objected": {o.case_id: o.reason for o in task.objections.all()}})
