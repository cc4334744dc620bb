"""Signal receivers that chain logins, failed logins, PII disclosures, admin changes and
configuration changes.

Each runs inside the transaction that made the thing it records (a disclosure row, an admin
log entry, a parameter row): if the audit record cannot be written, neither is the thing. Case
events and exports are not here: they are absorbed from their tables (``audit`` says why).
"""

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import post_delete, post_save
from django.forms.models import model_to_dict

from wengang.web.models import Disclosure

from . import audit

_ADMIN_ACTIONS = {1: "admin.added", 2: "admin.changed", 3: "admin.deleted"}
CONFIGURATION = ("cases.WorkflowParameters", "cases.CalendarDay", "cases.CommitmentText",
                 "payments.PayingAccount", "outreach.NoticeTemplate")
"""Rows that change how cases are decided, paid or told: every save and delete is recorded,
from the admin, the command line or code alike, with the values."""


def _ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


def on_login(sender, request, user, **kwargs) -> None:
    audit.record("login", actor=user.get_username(), target=f"user:{user.pk}",
                 details={"ip": _ip(request), "role": getattr(user, "role", "")})


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    """Django has already masked the password in ``credentials``; only the name is kept."""
    username = str(credentials.get("username", ""))
    # Whatever was typed, however long: the record must fit, or the login page would fail.
    audit.record("login_failed", actor=username[:150], target=f"username:{username}"[:100],
                 details={"ip": _ip(request), "username": username[:1000]})


def on_disclosure(sender, instance: Disclosure, created: bool, **kwargs) -> None:
    if created:
        audit.record("pii.disclosed", actor=instance.user.get_username(),
                     target=f"case:{instance.case_id}",
                     details={"disclosure": instance.pk, "reason": instance.reason,
                              "ip": instance.ip})


def on_admin_change(sender, instance: LogEntry, created: bool, **kwargs) -> None:
    """Configuration lives in the admin (parameters, calendar, users): its log is recorded."""
    if created:
        model = instance.content_type.model if instance.content_type_id else ""
        app = instance.content_type.app_label if instance.content_type_id else ""
        audit.record(_ADMIN_ACTIONS.get(instance.action_flag, "admin.other"),
                     actor=instance.user.get_username(),
                     target=f"{app}.{model}:{instance.object_id or ''}"[:100],
                     details={"object": instance.object_repr,
                              "change": instance.get_change_message()})


def _configuration(instance, action: str) -> None:
    by = getattr(instance, "added_by", None)
    audit.record(action, actor=by.get_username() if by else "",
                 target=f"{instance._meta.label_lower}:{instance.pk}",
                 details={"values": model_to_dict(instance)})


def on_configuration_saved(sender, instance, created: bool, **kwargs) -> None:
    _configuration(instance, "config.added" if created else "config.changed")


def on_configuration_deleted(sender, instance, **kwargs) -> None:
    _configuration(instance, "config.deleted")


def connect() -> None:
    user_logged_in.connect(on_login, dispatch_uid="oversight.login")
    user_login_failed.connect(on_login_failed, dispatch_uid="oversight.login_failed")
    post_save.connect(on_disclosure, sender=Disclosure, dispatch_uid="oversight.disclosure")
    post_save.connect(on_admin_change, sender=LogEntry, dispatch_uid="oversight.admin")
    for label in CONFIGURATION:
        model = apps.get_model(label)
        post_save.connect(on_configuration_saved, sender=model, dispatch_uid=f"oversight.{label}")
        post_delete.connect(on_configuration_deleted, sender=model,
                            dispatch_uid=f"oversight.{label}.delete")
