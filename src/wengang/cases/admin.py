"""Admin: what an administrator edits (calendar days, workflow parameters, commitment texts)
and read-only views of everything else. States never change here: that is the workflow's job."""

from django.contrib import admin

from .models import (
    CalendarDay,
    Case,
    CaseEvent,
    Commitment,
    CommitmentText,
    LateClaim,
    Objection,
    PublicityBatch,
    RescreenFlag,
    ReviewBatch,
    ReviewTask,
    ScreeningRun,
    ServiceOfficerTask,
    Unit,
    WorkflowParameters,
)

ACCOUNT_SECRETS = ("account_sealed", "account_digest")
"""Shown nowhere: the masked account is what people see (``cases.sealing``)."""


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable, never added, changed or deleted through the admin."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("day", "kind", "name", "added_by")
    list_filter = ("kind",)
    date_hierarchy = "day"
    exclude = ("added_by",)

    def save_model(self, request, obj, form, change) -> None:
        obj.added_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(WorkflowParameters)
class WorkflowParametersAdmin(admin.ModelAdmin):
    list_display = ("region_code", "program", "application_days", "reminder_days", "review_days",
                    "priority_review_days", "publicity_days", "review_publicity_overlap",
                    "reviewers")
    search_fields = ("region_code", "program")


@admin.register(CommitmentText)
class CommitmentTextAdmin(admin.ModelAdmin):
    list_display = ("version", "title", "valid_from", "program", "sha256")
    readonly_fields = ("sha256",)

    def has_change_permission(self, request, obj=None) -> bool:
        """A text someone accepted is evidence: word a new version instead."""
        if obj is not None and Commitment.objects.filter(text=obj).exists():
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.has_change_permission(request, obj)


@admin.register(ScreeningRun)
class ScreeningRunAdmin(ReadOnlyAdmin):
    list_display = ("id", "as_of", "region_code", "screened_at", "rows", "loaded_at")
    list_filter = ("region_code",)


@admin.register(Unit)
class UnitAdmin(ReadOnlyAdmin):
    list_display = ("uscc", "name", "region_code", "size", "industry_code")
    search_fields = ("uscc", "name")
    list_filter = ("size",)
    exclude = ACCOUNT_SECRETS


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    fields = ("at", "action", "state_before", "state_after", "actor", "actor_label", "reason",
              "channel")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ("id", "unit", "program", "state", "route", "size", "priority", "amount_fen")
    list_filter = ("state", "program", "route", "priority", "size")
    search_fields = ("unit__uscc", "unit__name")
    raw_id_fields = ("unit",)
    inlines = (CaseEventInline,)
    exclude = ACCOUNT_SECRETS


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "case", "action", "state_before", "state_after", "actor", "channel")
    list_filter = ("action", "channel")


@admin.register(ReviewBatch)
class ReviewBatchAdmin(ReadOnlyAdmin):
    list_display = ("id", "region_code", "program", "priority", "opened_on", "due_on", "status")
    list_filter = ("status", "priority", "program")


@admin.register(ReviewTask)
class ReviewTaskAdmin(ReadOnlyAdmin):
    list_display = ("id", "batch", "department", "due_on", "status", "decided_by", "escalations")
    list_filter = ("status", "department")


@admin.register(PublicityBatch)
class PublicityBatchAdmin(ReadOnlyAdmin):
    list_display = ("id", "region_code", "program", "start_on", "end_on", "status")


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyAdmin):
    list_display = ("id", "case", "objector_name", "filed_at", "status")
    list_filter = ("status",)


@admin.register(LateClaim)
class LateClaimAdmin(ReadOnlyAdmin):
    list_display = ("id", "uscc", "program", "filed_at", "status")
    list_filter = ("status", "program")


@admin.register(ServiceOfficerTask)
class ServiceOfficerTaskAdmin(ReadOnlyAdmin):
    list_display = ("id", "unit", "restructure_kind", "restructured_on", "status", "assigned_to")
    list_filter = ("status", "restructure_kind")


@admin.register(RescreenFlag)
class RescreenFlagAdmin(ReadOnlyAdmin):
    list_display = ("id", "case", "run", "amount_before_fen", "amount_after_fen", "status")
    list_filter = ("status",)


@admin.register(Commitment)
class CommitmentAdmin(ReadOnlyAdmin):
    list_display = ("id", "case", "accepted_at", "accepted_by", "channel", "account_masked")
    exclude = ACCOUNT_SECRETS
