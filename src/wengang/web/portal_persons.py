"""The persons' portal (mobile first): a trainee's skills-training subsidies, and their messages.

A person logs in with their resident ID and a one-time code sent to the phone on their record
(``accounts.login.request_person_code``); between the two steps the session holds the ID's
blind index, never the number. They then see only their own cases (``Case.objects.visible_to``:
by the blind index of their ID), each with its items (the courses, certificates or months it
pays for) and their explanations, the payment and the masked account, and the notices sent to
them. Nothing here changes a case.
"""

from django import forms
from django.contrib.auth import login
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from wengang.accounts import login as accounts
from wengang.accounts.models import User
from wengang.cases import services
from wengang.cases.models import Action, Case, ClaimItem, Person
from wengang.core.errors import CoreError
from wengang.outreach.models import Notice
from wengang.payments.models import Payment

from .access import client_ip, get_case_for, person_only, public
from .display import program_name, reasons_of, timeline_steps
from .forms import CodeForm
from .inbox import mark_read
from .models import NoticeRead

_BACKEND = "django.contrib.auth.backends.ModelBackend"
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
            login(request, user, backend=_BACKEND)  # a new session key: no fixation
            request.session.pop(_KEY, None)
            return redirect("web:person-home")
    return render(request, "web/portal/person_code.html", {"form": form})


def own_person(user: User) -> Person | None:
    return Person.objects.filter(resident_id_digest=user.resident_id_digest).first()


def _cases(user: User) -> QuerySet:
    return (Case.objects.visible_to(user).select_related("person")
            .prefetch_related(Prefetch("items", queryset=ClaimItem.objects.order_by("dated", "id")))
            .order_by("-refund_year", "program"))


def _card(case: Case) -> dict:
    events = services.timeline(case)
    payment = Payment.objects.filter(case=case).order_by("-id").first()
    return {"case": case, "program_name": program_name(case.program), "events": events,
            "steps": timeline_steps(case, events, stages=STAGES), "payment": payment,
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
    return render(request, "web/portal/person_notice.html", {"notice": notice})


@person_only
def account(request: HttpRequest) -> HttpResponse:
    """The receiving account each subsidy goes to, masked, and how to change it.

    Changing it is done at the agency: the online account change (``payments.account_changes``)
    checks the holder against a unit's name and records the change on the unit, so it cannot
    take a person yet.
    """
    cases = list(Case.objects.visible_to(request.user).order_by("-refund_year", "program"))
    return render(request, "web/portal/person_account.html", {
        "person": own_person(request.user),
        "cases": [{"case": case, "program_name": program_name(case.program)} for case in cases]})
