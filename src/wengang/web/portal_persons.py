"""The persons' portal (mobile first): a trainee's skills-training subsidies, and their messages.

A person logs in with their resident ID and a one-time code sent to the phone on their record
(``accounts.login.request_person_code``); between the two steps the session holds the ID's
blind index, never the number. They then see only their own cases (``Case.objects.visible_to``:
by the blind index of their ID), each with its items (the courses, certificates or months it
pays for) and their explanations, the payment and the masked account, and the notices sent to
them. Nothing here changes a case; the one thing a person asks for here is a new receiving
account, verified as a unit's (``payments.account_changes``: the holder must be the person, a
cooling-off period, another officer approves in the console).
"""

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from wengang.accounts import login as accounts
from wengang.accounts.backends import BACKEND
from wengang.accounts.models import User
from wengang.cases import services
from wengang.cases.errors import CaseError
from wengang.cases.models import Action, Case, Channel, ClaimItem, Person
from wengang.core.errors import CoreError
from wengang.outreach.models import Notice
from wengang.payments import services as payments
from wengang.payments.account_changes import COOLING_OFF_WORKDAYS, still_to_pay
from wengang.payments.batches import receiving_accounts
from wengang.payments.models import AccountChange, Payment
from wengang.zones import internet as internet_zone
from wengang.zones.submissions import submit_person_account_change

from .access import client_ip, get_case_for, person_only, public
from .display import program_name, reasons_of, timeline_steps
from .forms import AccountChangeRequestForm, CodeForm
from .inbox import mark_read, submitted_account_changes
from .models import NoticeRead

_KEY = "wengang_login_person"  # the blind index of the ID number being logged in

STAGES = (
    (_("比对筛查"), {Action.OPENED}),
    (_("告知"), {Action.NOTIFIED}),
    (_("审核"), {Action.APPROVED}),
    (_("公示"), {Action.PUBLICITY_STARTED}),
    (_("发放"), {Action.PAYMENT_STARTED}),
    (_("到账"), {Action.PAID}),
)
"""The steps a trainee sees: no application (person programs are automatic), no unit review."""


class ResidentIdForm(forms.Form):
    resident_id = forms.RegexField(
        label=_("身份证号码"), regex=r"^\s*[0-9]{17}[0-9Xx]\s*$", max_length=24,
        error_messages={"invalid": _("身份证号码应为 18 位，末位可为 X。")},
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "characters",
                                      "inputmode": "text"}))


@public
def person_login(request: HttpRequest) -> HttpResponse:
    form = ResidentIdForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sent = accounts.request_person_code(form.cleaned_data["resident_id"],
                                                ip=client_ip(request))
        except CoreError as error:  # a bad check digit, too many requests, a lockout
            form.add_error(None, str(error))
        else:
            request.session[_KEY] = sent.key
            return redirect("web:person-code")
    return render(request, "web/portal/person_login.html", {"form": form})


@public
def person_code(request: HttpRequest) -> HttpResponse:
    key = request.session.get(_KEY)
    if not key:
        return redirect("web:person-login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = accounts.verify_person_code(key, form.cleaned_data["code"],
                                               ip=client_ip(request))
        except CoreError as error:
            form.add_error(None, str(error))
        else:
            login(request, user, backend=BACKEND)  # a new session key: no fixation
            request.session.pop(_KEY, None)
            return redirect("web:person-home")
    return render(request, "web/portal/person_code.html", {"form": form})


def own_person(user: User) -> Person | None:
    return Person.objects.filter(resident_id_digest=user.resident_id_digest).first()


def _cases(user: User) -> QuerySet:
    return (Case.objects.visible_to(user).select_related("person")
            .prefetch_related(Prefetch("items", queryset=ClaimItem.objects.order_by("dated", "id")))
            .order_by("-refund_year", "program"))


def _paid_to(case: Case, payment: Payment | None) -> str:
    """The masked account the subsidy went to, or goes to next (a verified change counts).
    The internet instance holds only the masked form the intranet sent (docs/two-zone.md)."""
    if payment is not None and payment.status in Payment.LIVE:
        return payment.account_masked
    source = receiving_accounts([case]).get(case.pk)
    return source.account_masked if source else case.account_masked


def _card(case: Case) -> dict:
    events = services.timeline(case)
    payment = Payment.objects.filter(case=case).order_by("-id").first()
    return {"case": case, "program_name": program_name(case.program), "events": events,
            "steps": timeline_steps(case, events, stages=STAGES), "payment": payment,
            "account": _paid_to(case, payment),
            "items": [{"item": item, "reasons": reasons_of(item.explanation)}
                      for item in case.items.all()]}


@person_only
def home(request: HttpRequest) -> HttpResponse:
    """我的补贴: one card per program and year."""
    cards = [_card(case) for case in _cases(request.user)]
    return render(request, "web/portal/person_home.html",
                  {"cards": cards, "person": own_person(request.user),
                   "unread": inbox_for(request.user).filter(read=False).count()})


@person_only
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for(request.user, pk)  # 404 for anyone else's case
    return render(request, "web/portal/person_case.html", _card(case))


def inbox_for(user: User) -> QuerySet:
    """The person's notices with ``read`` annotated (none for a login with no person record)."""
    person = own_person(user)
    if person is None:
        return Notice.objects.none()
    return Notice.objects.inbox_for_person(person).annotate(
        read=Exists(NoticeRead.objects.filter(notice=OuterRef("pk"))))


@person_only
def inbox(request: HttpRequest) -> HttpResponse:
    notices = list(inbox_for(request.user).select_related("case")[:100])
    return render(request, "web/portal/person_inbox.html", {"notices": notices})


@person_only
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = inbox_for(request.user).select_related("case").filter(pk=pk).first()
    if notice is None:
        raise Http404("notice")
    mark_read([notice], request.user)
    return render(request, "web/portal/notice.html", {
        "notice": notice, "case_view": "web:person-case", "inbox_view": "web:person-inbox"})


class PersonAccountChangeForm(AccountChangeRequestForm):
    """The enterprise's form, with the person's own name as the holder."""

    holder_name = forms.CharField(label=_("户名"), max_length=64, help_text=_("须为本人姓名"))


@person_only
def account(request: HttpRequest) -> HttpResponse:
    """The receiving account each subsidy goes to, masked, and the online request to change it
    (verified before any payment uses it; until then the subsidy goes to the account on record).
    """
    person = own_person(request.user)
    form = PersonAccountChangeForm(request.POST or None)
    if request.method == "POST":
        if person is None:
            raise Http404("person")
        if form.is_valid() and internet_zone():  # two-zone: the number travels sealed inward
            data = form.cleaned_data
            submit_person_account_change(person, actor=request.user,
                                         account_number=data["account_number"],
                                         bank_name=data["bank_name"],
                                         holder_name=data["holder_name"])
            messages.success(request, gettext("已提交账户变更申请，等待内网审核。"))
            return redirect("web:person-account")
        elif form.is_valid():
            data = form.cleaned_data
            try:
                change = payments.request_account_change(
                    person, actor=request.user, account_number=data["account_number"],
                    bank_name=data["bank_name"], holder_name=data["holder_name"],
                    channel=Channel.ONLINE)
            except CaseError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, gettext(
                    "已提交账户变更申请。冷静期满（%(date)s）后经办机构核实，核实前仍发放至原账户。")
                    % {"date": change.verifiable_from})
                return redirect("web:person-account")
    cases = list(Case.objects.visible_to(request.user).order_by("-refund_year", "program"))
    return render(request, "web/portal/person_account.html", {
        "person": person, "form": form, "cooling_off": COOLING_OFF_WORKDAYS,
        "can_change": person is not None and still_to_pay(person).exists(),
        "submissions": submitted_account_changes(request.user),
        "changes": (AccountChange.objects.filter(person=person).order_by("-requested_at", "-id")
                    if person else []),
        "cases": [{"case": case, "program_name": program_name(case.program),
                   "account": _paid_to(case, Payment.objects.filter(case=case)
                                       .order_by("-id").first())} for case in cases],
    }, status=400 if form.errors else 200)
