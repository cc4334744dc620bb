"""The enterprise's messages (消息) and its receiving account (收款账户) in the portal.

Messages are the unit's notices on every channel (``Notice.objects.inbox_for``), newest first;
opening one marks it read for the unit. An account change is asked here and verified by the
agency (``payments.account_changes``: holder must be the unit, cooling-off, another person).
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wengang.accounts.models import User
from wengang.cases.errors import CaseError
from wengang.cases.models import Channel, Unit
from wengang.core.clock import clock
from wengang.outreach.models import Notice
from wengang.payments import services
from wengang.payments.account_changes import COOLING_OFF_WORKDAYS
from wengang.payments.models import AccountChange
from wengang.zones import internet as internet_zone  # two-zone deployment: docs/two-zone.md
from wengang.zones.models import Submission
from wengang.zones.submissions import submit_account_change

from .access import enterprise_only
from .forms import AccountChangeRequestForm
from .models import NoticeRead

PAGE_SIZE = 20


def own_unit(user: User) -> Unit | None:
    return Unit.objects.filter(uscc=user.uscc).first()


def inbox_for(unit: Unit | None) -> QuerySet:
    """The unit's notices with ``read`` annotated (none for a login without a unit on record)."""
    if unit is None:
        return Notice.objects.none()
    return Notice.objects.inbox_for(unit).annotate(
        read=Exists(NoticeRead.objects.filter(notice=OuterRef("pk"))))


def unread_count(unit: Unit | None) -> int:
    return inbox_for(unit).filter(read=False).count()


def mark_read(notices, user: User) -> None:
    now = clock.now()
    for notice in notices:
        try:
            with transaction.atomic():  # read in two tabs at once: the first one counts
                NoticeRead.objects.get_or_create(notice=notice,
                                                 defaults={"read_by": user, "read_at": now})
        except IntegrityError:
            pass


@enterprise_only
def inbox(request: HttpRequest) -> HttpResponse:
    unit = own_unit(request.user)
    listed = inbox_for(unit).select_related("case")
    if request.GET.get("unread"):
        listed = listed.filter(read=False)
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/portal/inbox.html", {
        "page": page, "unread": unread_count(unit), "only_unread": bool(request.GET.get("unread"))})


@enterprise_only
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = inbox_for(own_unit(request.user)).select_related("case").filter(pk=pk).first()
    if notice is None:
        raise Http404("notice")
    mark_read([notice], request.user)
    return render(request, "web/portal/notice.html", {
        "notice": notice, "case_view": "web:portal-case", "inbox_view": "web:portal-inbox"})


@enterprise_only
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    mark_read(inbox_for(own_unit(request.user)).filter(read=False), request.user)
    messages.success(request, _("全部消息已标为已读。"))
    return redirect("web:portal-inbox")


@enterprise_only
def account_change(request: HttpRequest) -> HttpResponse:
    """Ask for refunds to go to a new account; the page shows each request and its state."""
    unit = own_unit(request.user)
    if unit is None:
        raise Http404("unit")
    form = AccountChangeRequestForm(request.POST or None, initial={"holder_name": unit.name})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if internet_zone():  # two-zone: the number travels sealed; the intranet records it
            submit_account_change(unit.uscc, actor=request.user,
                                  account_number=data["account_number"],
                                  bank_name=data["bank_name"], holder_name=data["holder_name"])
            messages.success(request, _("已提交账户变更申请，等待内网审核。"))
            return redirect("web:portal-account")
        try:
            change = services.request_account_change(
                unit, actor=request.user, account_number=data["account_number"].strip(),
                bank_name=data["bank_name"], holder_name=data["holder_name"],
                channel=Channel.ONLINE)
        except CaseError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("已提交账户变更申请。冷静期满（%(date)s）后经办机构核实，核实前仍拨付至原账户。") % {
                "date": change.verifiable_from})
            return redirect("web:portal-account")
    return render(request, "web/portal/account.html", {
        "unit": unit, "form": form, "cooling_off": COOLING_OFF_WORKDAYS,
        "submissions": submitted_account_changes(request.user),
        "changes": AccountChange.objects.filter(unit=unit).order_by("-requested_at", "-id"),
    }, status=400 if form.errors else 200)


def submitted_account_changes(user: User) -> list[Submission]:
    """Two-zone, on the internet: the requests made here that the intranet has not recorded
    (awaiting its answer, or refused with its reason); a recorded one comes back as a change."""
    if not internet_zone():
        return []
    return list(Submission.objects.own(user, Submission.Kind.ACCOUNT_CHANGE)
                .exclude(status=Submission.Status.ACCEPTED))
