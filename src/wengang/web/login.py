"""Login pages: enterprises with USCC + SMS code; staff with password, then TOTP (enrolled at the
first login). A staff user is logged in (``django.contrib.auth.login``) only after the second
factor, so every authenticated staff session has passed both."""

import time

from django.conf import settings
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from wengang.accounts import login as accounts
from wengang.accounts.backends import BACKEND
from wengang.accounts.models import Role, User
from wengang.core.errors import CoreError

from .access import client_ip, public
from .forms import CodeForm, PasswordForm, UsccForm

_PENDING = "wengang_pending_staff"
_PENDING_SECONDS = 300  # between the password and the second factor
_USCC = "wengang_login_uscc"
_PHONE = "wengang_login_phone"


@public
def enterprise_login(request: HttpRequest) -> HttpResponse:
    form = UsccForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sent = accounts.request_code(form.cleaned_data["uscc"], ip=client_ip(request))
        except CoreError as error:
            form.add_error(None, str(error))
        else:
            request.session[_USCC] = sent.key
            request.session[_PHONE] = sent.masked_phone
            return redirect("web:enterprise-code")
    return render(request, "web/login/enterprise.html", {"form": form})


@public
def enterprise_code(request: HttpRequest) -> HttpResponse:
    uscc = request.session.get(_USCC)
    if not uscc:
        return redirect("web:enterprise-login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = accounts.verify_code(uscc, form.cleaned_data["code"], ip=client_ip(request))
        except CoreError as error:
            form.add_error(None, str(error))
        else:
            login(request, user, backend=BACKEND)
            for key in (_USCC, _PHONE):
                request.session.pop(key, None)
            return redirect("web:portal-home")
    return render(request, "web/login/enterprise_code.html",
                  {"form": form, "masked_phone": request.session.get(_PHONE, "")})


@public
def staff_login(request: HttpRequest) -> HttpResponse:
    form = PasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = accounts.check_password(form.cleaned_data["username"],
                                           form.cleaned_data["password"], ip=client_ip(request))
        except CoreError as error:
            form.add_error(None, str(error))
        else:
            request.session.cycle_key()
            request.session[_PENDING] = {"id": user.pk, "at": time.time()}
            if accounts.needs_enrolment(user):
                return redirect("web:staff-enrol")
            return redirect("web:staff-totp")
    return render(request, "web/login/staff.html", {
        "form": form, "sso": settings.WENGANG_OIDC,
        "sso_failed": settings.WENGANG_OIDC and request.GET.get("sso") == "failed"})


def _pending_user(request: HttpRequest) -> User | None:
    pending = request.session.get(_PENDING)
    if not pending or time.time() - pending["at"] > _PENDING_SECONDS:
        return None
    return User.objects.filter(pk=pending["id"], is_active=True).first()


def _finish_staff_login(request: HttpRequest, user: User) -> HttpResponse:
    del request.session[_PENDING]
    login(request, user, backend=BACKEND)
    return redirect("web:review-tasks" if user.role == Role.DEPARTMENT else "web:console-home")


@public
def staff_totp(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None:
        return redirect("web:staff-login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.verify_totp(user, form.cleaned_data["code"], ip=client_ip(request))
        except CoreError as error:
            form.add_error(None, str(error))
        else:
            return _finish_staff_login(request, user)
    return render(request, "web/login/staff_totp.html", {"form": form})


@public
def staff_enrol(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None:
        return redirect("web:staff-login")
    if not accounts.needs_enrolment(user):  # enrolled meanwhile (another tab, the demo command)
        return redirect("web:staff-totp")
    device = accounts.start_enrolment(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.confirm_enrolment(user, form.cleaned_data["code"], ip=client_ip(request))
        except CoreError as error:
            form.add_error(None, str(error))
        else:
            return _finish_staff_login(request, user)
    return render(request, "web/login/staff_enrol.html",
                  {"form": form, "secret": device.secret,
                   "uri": accounts.provisioning_uri(device)})


@public
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    role = request.user.role if request.user.is_authenticated else None
    logout(request)
    return redirect({Role.ENTERPRISE: "web:enterprise-login",
                     Role.PERSON: "web:person-login"}.get(role, "web:staff-login"))
