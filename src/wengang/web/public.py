"""Public pages: the policy in brief, the current publicity lists (search, Excel), objections.

No login. Only cases in a running publicity period are shown or can be objected to; the
objection form is rate-limited per address.
"""

import io
from datetime import timedelta

import xlsxwriter
from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from wengang.accounts import throttle
from wengang.accounts.models import Attempt
from wengang.cases import services
from wengang.cases.errors import CaseError
from wengang.cases.models import Channel, PublicityBatch, PublicityItem
from wengang.core.clock import clock
from wengang.core.errors import CoreError
from wengang.core.money import fen_to_yuan

from .access import XLSX, client_ip, is_htmx, public
from .console import LargeListPaginator
from .display import program_name
from .forms import ObjectionForm

PAGE_SIZE = 50
OBJECTIONS_PER_HOUR = 5  # per address: a real objector files one or two


def current_items(search: str = "") -> QuerySet:
    """Items of publicity batches running today, optionally by unit name or code."""
    today = clock.today()
    items = (PublicityItem.objects.filter(batch__status=PublicityBatch.Status.OPEN,
                                          batch__start_on__lte=today, batch__end_on__gte=today)
             .select_related("case__unit", "batch").order_by("batch_id", "case_id"))
    search = search.strip()
    if search:
        items = items.filter(Q(case__unit__name__icontains=search)
                             | Q(case__unit__uscc__startswith=search.upper()))
    return items


@public
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/public/home.html")


@public
def publicity(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "")[:64]
    page = LargeListPaginator(current_items(search), PAGE_SIZE).get_page(request.GET.get("page"))
    template = "web/public/publicity_table.html" if is_htmx(request) else "web/public/publicity.html"
    return render(request, template, {"page": page, "q": search})


@public
def publicity_xlsx(request: HttpRequest) -> HttpResponse:
    items = current_items(request.GET.get("q", "")[:64])
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"in_memory": True}) as workbook:
        sheet = workbook.add_worksheet("公示名单")
        money = workbook.add_format({"num_format": "#,##0.00"})
        headers = ["单位名称", "统一社会信用代码", "政策项目", "返还金额（元）", "公示开始", "公示结束"]
        sheet.write_row(0, 0, headers)
        for row, item in enumerate(items.iterator(chunk_size=2000), start=1):
            case = item.case
            sheet.write_row(row, 0, [case.unit.name, case.unit.uscc, program_name(case.program)])
            # Yuan only at this edge: the exact text of fen, as Excel's number.
            sheet.write_number(row, 3, float(fen_to_yuan(case.amount_fen)), money)
            sheet.write_row(row, 4, [item.batch.start_on.isoformat(), item.batch.end_on.isoformat()])
        sheet.set_column(0, 0, 40)
        sheet.set_column(1, 5, 20)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="publicity-{clock.today()}.xlsx"'
    return response


@public
def objection(request: HttpRequest, pk: int) -> HttpResponse:
    item = current_items().filter(case_id=pk).first()
    if item is None:
        raise Http404("not in publicity")
    form = ObjectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ip = client_ip(request) or "unknown"
        now = timezone.now()
        try:
            throttle.require_under_limit(ip, Attempt.Kind.OBJECTION, limit=OBJECTIONS_PER_HOUR,
                                         window=timedelta(hours=1), now=now)
            services.file_objection(item.case, channel=Channel.PUBLIC, **form.cleaned_data)
        except (CoreError, CaseError) as error:
            form.add_error(None, str(error))
        else:
            throttle.record(ip, Attempt.Kind.OBJECTION, succeeded=True, ip=client_ip(request),
                            now=now)
            messages.success(request, _("异议已受理，经办机构将核实并与您联系。"))
            return redirect("web:public-publicity")
    return render(request, "web/public/objection.html",
                  {"item": item, "form": form, "program_name": program_name(item.case.program)})
