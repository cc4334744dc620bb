"""Oversight records in the admin: to read. They are made only by the services (and the chain
only by ``audit``): an admin form would skip their checks and their audit records."""

from django.contrib import admin

from wengang.cases.admin import ReadOnlyAdmin

from .models import AuditRecord, CheckedPerson, Finding, RiskHold, SampleItem, SamplePlan


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnlyAdmin):
    list_display = ("seq", "at", "actor", "action", "target")
    list_filter = ("action",)
    search_fields = ("actor", "target")


@admin.register(RiskHold)
class RiskHoldAdmin(ReadOnlyAdmin):
    list_display = ("case", "flags", "held_at", "outcome", "ended_at", "ended_by")
    list_filter = ("outcome",)


class SampleItemInline(admin.TabularInline):
    model = SampleItem
    fields = ("draw", "case", "stratum")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SamplePlan)
class SamplePlanAdmin(ReadOnlyAdmin):
    list_display = ("id", "program", "region_code", "method", "size", "population", "seed",
                    "auditor", "created_at")
    list_filter = ("method", "program")
    inlines = (SampleItemInline,)


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ("item", "outcome", "improper_fen", "recorded_by", "recorded_at", "receivable")
    list_filter = ("outcome",)


@admin.register(CheckedPerson)
class CheckedPersonAdmin(ReadOnlyAdmin):
    # The masked number only: the sealed text and blind index are not editable, so not shown.
    list_display = ("name", "resident_id_masked", "employed", "finding", "recorded_by",
                    "recorded_at")
    list_filter = ("employed",)
