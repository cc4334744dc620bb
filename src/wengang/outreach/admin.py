"""Admin: notices and dispatches are read-only (they change only by sending); templates are
added as new versions; contacts and opt-outs are kept by staff."""

from django.contrib import admin

from .models import Contact, Dispatch, Notice, NoticeTemplate, OptOut


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notice)
class NoticeAdmin(ReadOnly):
    list_display = ("created_at", "unit", "topic", "channel", "recipient", "status", "attempts",
                    "sent_at", "delivered_at")
    list_filter = ("channel", "topic", "status")
    search_fields = ("unit__uscc", "unit__name", "address")


@admin.register(Dispatch)
class DispatchAdmin(ReadOnly):
    list_display = ("started_at", "channel", "due", "sent", "failed", "retried", "deferred",
                    "suppressed", "finished_at")


@admin.register(NoticeTemplate)
class NoticeTemplateAdmin(admin.ModelAdmin):
    """Saving a version in place is refused by the model: add the next version instead."""

    list_display = ("topic", "form", "language", "version", "subject", "created_at")
    list_filter = ("topic", "form", "language")
    readonly_fields = ("created_at",)

    def has_change_permission(self, request, obj=None):
        return obj is None

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("unit", "channel", "recipient", "address", "language")
    list_filter = ("channel",)
    search_fields = ("unit__uscc", "unit__name", "address")


@admin.register(OptOut)
class OptOutAdmin(admin.ModelAdmin):
    list_display = ("unit", "channel", "at", "source")
    list_filter = ("channel",)
    search_fields = ("unit__uscc", "unit__name")
