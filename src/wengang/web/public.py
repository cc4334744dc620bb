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
from wengang.cases.models import Channel, PublicityBatch, PublicityItem, PublicityListing
from wengang.core.clock import clock
from wengang.core.errors import CoreError
from wengang.core.money import fen_to_yuan
from wengang.zones import internet as internet_zone  # two-zone deployment: docs/two-zone.md
from wengang.zones.submissions import submit_objection

from .access import XLSX, client_ip, is_htmx, public
from .console import LargeListPaginator
from .display import program_name
from .forms import ObjectionForm

PAGE_SIZE = 50
OBJECTIONS_PER_HOUR = 5  # per address: a real objector files one or two


def _running_batches() -> QuerySet:
    """Publicity batches running today (a subquery: a handful of rows)."""
    today = clock.today()
    return PublicityBatch.objects.filter(status=PublicityBatch.Status.OPEN, start_on__lte=today,
                                         end_on__gte=today).values("pk")


def current_listing(search: str = "") -> QuerySet:
    """The public list of batches running today, optionally by name or code.

    Rows of ``PublicityListing`` (written when a batch opens): a page is one walk of its
    (batch, case) index, with no join to cases or units.
    """
    rows = (PublicityListing.objects.filter(batch_id__in=_running_batches())
            .select_related("batch").order_by("batch_id", "case_id"))
    search = search.strip()
    if search:
        rows = rows.filter(Q(name__icontains=search) | Q(code__startswith=search.upper()))
    return rows


def published_item(case_id: int) -> PublicityItem | None:
    """The case's item in a batch running today (what an objection is filed against)."""
    return (PublicityItem.objects.filter(batch_id__in=_running_batches(), case_id=case_id)
            .select_related("case__unit", "batch").first())


class ListingPaginator(LargeListPaginator):
    """Every count of the public list kept a minute, searches' too: counting a search reads
    every listed row (``UPPER(name) LIKE '%…%'``); the rows shown are always read live."""

    EXACT_BELOW = 0


@public
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/public/home.html")


@public
def publicity(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "")[:64]
    page = ListingPaginator(current_listing(search), PAGE_SIZE).get_page(request.GET.get("page"))
    template = "web/public/publicity_table.html" if is_htmx(request) else "web/public/publicity.html"
    return render(request, template, {"page": page, "q": search})


@public
def publicity_xlsx(request: HttpRequest) -> HttpResponse:
    rows = current_listing(request.GET.get("q", "")[:64])
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"in_memory": True}) as workbook:
        sheet = workbook.add_worksheet("公示名单")
        money = workbook.add_format({"num_format": "#,##0.00"})
        headers = ["单位名称", "统一社会信用代码", "政策项目", "返还金额（元）", "公示开始", "公示结束"]
        sheet.write_row(0, 0, headers)
        for number, row in enumerate(rows.iterator(chunk_size=2000), start=1):
            sheet.write_row(number, 0, [row.name, row.code, program_name(row.program)])
            # Yuan only at this edge: the exact text of fen, as Excel's number.
            sheet.write_number(number, 3, float(fen_to_yuan(row.amount_fen)), money)
            sheet.write_row(number, 4, [row.batch.start_on.isoformat(), row.batch.end_on.isoformat()])
        sheet.set_column(0, 0, 40)
        sheet.set_column(1, 5, 20)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="publicity-{clock.today()}.xlsx"'
    return response


@public
def objection(request: HttpRequest, pk: int) -> HttpResponse:
    item = published_item(pk)
    if item is None:
        raise Http404("not in publicity")
    form = ObjectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ip = client_ip(request) or "unknown"
        now = timezone.now()
        try:
            throttle.require_under_limit(ip, Attempt.Kind.OBJECTION, limit=OBJECTIONS_PER_HOUR,
                                         window=timedelta(hours=1), now=now)
            if internet_zone():  # two-zone: recorded here, filed by the intranet's publicity
                submit_objection(item.case, **form.cleaned_data)
            else:
                services.file_objection(item.case, channel=Channel.PUBLIC, **form.cleaned_data)
        except (CoreError, CaseError) as error:
            form.add_error(None, str(error))
        else:
            throttle.record(ip, Attempt.Kind.OBJECTION, succeeded=True, ip=client_ip(request),
                            now=now)
            messages.success(request, _("异议已受理，经办机构将核实并与您联系。"))
            return redirect("web:public-publicity")
    # The row as the list shows it: a person's name masked, no resident ID (cases.publicity).
    listing = PublicityListing.objects.get(batch=item.batch, case=item.case)
    return render(request, "web/public/objection.html",
                  {"item": item, "listing": listing, "form": form,
                   "program_name": program_name(item.case.program)})
